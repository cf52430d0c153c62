/**
 * Filters as users hand them to `cr-shim bpf`: a file or stdin holding either
 * raw struct sock_filter bytes (encode.ts) or text in disasm's notation
 * (asm.ts). Every error names the input.
 *
 * A raw filter always holds a NUL byte: the last insn is a RET, whose u16
 * code (0x0006 or 0x0016) has a zero high byte. Text never does. So NUL
 * decides the form of any filter the kernel could accept.
 */
import fs from 'node:fs';
import { BpfError, ShimError, UsageError } from '../errors.js';
import { asm } from './asm.js';
import type { AsmOptions } from './asm.js';
import { decode, INSN_SIZE } from './encode.js';
import type { Insn } from './insn.js';
import { validate } from './validate.js';

export interface FilterInput {
  /** The path as given, or `stdin`. */
  name: string;
  bytes: Buffer;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Read `file` (`-` or undefined: stdin). `op` names the command for errors.
 * Throws ShimError naming the file when it cannot be read, UsageError for a terminal on stdin.
 */
export async function readInput(op: string, file: string | undefined): Promise<FilterInput> {
  if (file === undefined || file === '-') {
    if (process.stdin.isTTY) {
      throw new UsageError(op, 'stdin is a terminal', { code: 'EUSAGE', hint: 'give a FILE, or pipe the filter in' });
    }
    return { name: 'stdin', bytes: await readStdin() };
  }
  try {
    return { name: file, bytes: fs.readFileSync(file) };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? String(cause)})`;
    // A file that is not there is no verdict on a filter: ShimError (exit 125), not BpfError (1).
    throw new ShimError(op, `${file}: ${why}`, { cause, code });
  }
}

/** True when the bytes are a raw filter rather than notation (see the file comment). */
export function isRaw(bytes: Buffer): boolean {
  return bytes.includes(0);
}

/** Decode raw bytes. Throws BpfError naming the input for a length that is not whole insns. */
export function decodeInput(op: string, input: FilterInput): Insn[] {
  if (input.bytes.length === 0) throw new BpfError(op, `${input.name}: empty (no instructions)`, { code: 'EINVAL' });
  if (input.bytes.length % INSN_SIZE !== 0) {
    throw new BpfError(
      op,
      `${input.name}: ${input.bytes.length} bytes is not a whole number of ${INSN_SIZE}-byte instructions (truncated?)`,
      { code: 'EINVAL', hint: isRaw(input.bytes) ? undefined : 'this looks like text: assemble it with cr-shim bpf asm' },
    );
  }
  return decode(input.bytes);
}

/** Raw bytes or notation, whichever the input holds. Errors name the input and, for text, the line. */
export function loadInput(op: string, input: FilterInput, opts: AsmOptions = {}): Insn[] {
  if (isRaw(input.bytes)) return decodeInput(op, input);
  return assembleInput(op, input, opts);
}

/** Assemble notation. Throws BpfError `FILE: line N: reason`. */
export function assembleInput(op: string, input: FilterInput, opts: AsmOptions = {}): Insn[] {
  if (isRaw(input.bytes)) {
    throw new BpfError(op, `${input.name}: holds binary data, not the text notation`, { code: 'EINVAL', hint: 'disassemble it with cr-shim bpf disasm' });
  }
  let insns: Insn[];
  try {
    insns = asm(input.bytes.toString('utf8'), opts);
  } catch (cause) {
    if (!(cause instanceof BpfError)) throw cause;
    throw new BpfError(op, `${input.name}: ${cause.message}`, { cause, pc: cause.pc, code: 'EINVAL' });
  }
  if (insns.length === 0) throw new BpfError(op, `${input.name}: no instructions`, { code: 'EINVAL' });
  return insns;
}

/**
 * Check the program as the kernel would before loading it. Throws BpfError
 * `FILE: insn N: reason` (or `FILE: reason` for the whole program).
 */
export function validateInput(op: string, input: FilterInput, insns: readonly Insn[]): void {
  try {
    validate(insns);
  } catch (cause) {
    if (!(cause instanceof BpfError)) throw cause;
    throw new BpfError(op, `${input.name}: ${cause.message}`, { cause, pc: cause.pc, code: cause.code, hint: 'the kernel would refuse this filter (EINVAL)' });
  }
}
