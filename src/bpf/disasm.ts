/**
 * Disassembly in seccomp-tools' notation, one line per insn:
 *
 *    line  CODE  JT   JF      K
 *   =================================
 *    0000: 0x20 0x00 0x00 0x00000004  A = arch
 *    0001: 0x15 0x00 0x08 0xc000003e  if (A != ARCH_X86_64) goto 0010
 *
 * The raw columns make every line reassemblable byte for byte (asm.ts). The
 * statement after them is the grammar in asm.ts. Syscall numbers are named
 * through the injected resolver for the arch in force (flow.ts).
 */
import {
  BPF_A, BPF_ABS, BPF_ALU, BPF_IMM, BPF_JA, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN,
  BPF_MEM, BPF_MISC, BPF_NEG, BPF_RET, BPF_ST, BPF_STX, BPF_TAX, BPF_TXA, BPF_W, BPF_X, SECCOMP_DATA,
  SECCOMP_RET, SECCOMP_RET_DATA, actionOf, bpfOp, bpfSrc, isConditionalJump,
} from './insn.js';
import type { Arch } from '../arch.js';
import { archFromAudit } from '../arch.js';
import type { Insn, Program } from './insn.js';
import { FlowTracker } from './flow.js';
import type { FlowState } from './flow.js';
import { ALU_SYMBOL, ARCH_SYMBOL, HEADER, JUMP_SYMBOL, RULE, fmtHex, fmtPc } from './notation.js';
import type { SyscallName } from './notation.js';

export interface DisasmOptions {
  /** Names syscall numbers compared while A holds nr; numbers are printed without it. */
  syscallName?: SyscallName;
  /** Arch assumed before the filter checks one. */
  arch?: Arch;
  /** Append each insn's compiler comment (`# ...`), when the program has them. */
  comments?: boolean;
}

/** Text of one instruction, without the pc and raw columns. */
export function statement(insn: Insn, pc: number, state: FlowState, opts: DisasmOptions = {}): string {
  const { code, k } = insn;
  switch (code) {
    case BPF_LD | BPF_W | BPF_ABS:
      return `A = ${fieldName(k)}`;
    case BPF_LD | BPF_IMM:
      return `A = ${fmtHex(k)}`;
    case BPF_LDX | BPF_IMM:
      return `X = ${fmtHex(k)}`;
    case BPF_LD | BPF_W | BPF_LEN:
      return 'A = data_len';
    case BPF_LDX | BPF_W | BPF_LEN:
      return 'X = data_len';
    case BPF_LD | BPF_MEM:
      return `A = mem[${k}]`;
    case BPF_LDX | BPF_MEM:
      return `X = mem[${k}]`;
    case BPF_ST:
      return `mem[${k}] = A`;
    case BPF_STX:
      return `mem[${k}] = X`;
    case BPF_MISC | BPF_TAX:
      return 'X = A';
    case BPF_MISC | BPF_TXA:
      return 'A = X';
    case BPF_ALU | BPF_NEG:
      return 'A = -A';
    case BPF_RET | BPF_A:
      return 'return A';
    case BPF_RET | BPF_K:
      return `return ${returnName(k)}`;
    case BPF_JMP | BPF_JA:
      return `goto ${fmtPc(pc + 1 + k)}`;
  }
  const alu = ALU_SYMBOL.get(bpfOp(code));
  if ((code & 0x07) === BPF_ALU && alu !== undefined && (code & ~0xf8) === BPF_ALU) {
    return `A ${alu}= ${bpfSrc(code) === BPF_X ? 'X' : fmtHex(k)}`;
  }
  const sym = JUMP_SYMBOL.get(bpfOp(code));
  if (isConditionalJump(code) && sym !== undefined && (code & ~0xf8) === BPF_JMP) {
    const v = bpfSrc(code) === BPF_X ? 'X' : operandName(bpfOp(code), k, state, opts);
    const cond = (negated: boolean): string => {
      if (bpfOp(code) === BPF_JSET) return negated ? `!(A & ${v})` : `A & ${v}`;
      return `A ${sym[negated ? 1 : 0]} ${v}`;
    };
    const t = fmtPc(pc + 1 + insn.jt);
    const f = fmtPc(pc + 1 + insn.jf);
    if (insn.jf === 0) return `if (${cond(false)}) goto ${t}`;
    if (insn.jt === 0) return `if (${cond(true)}) goto ${f}`;
    return `if (${cond(false)}) goto ${t} else goto ${f}`;
  }
  return `??? opcode ${fmtHex(code, 2)}`;
}

/** seccomp-tools' names for the words of struct seccomp_data. */
export function fieldName(k: number): string {
  if (k === SECCOMP_DATA.nr) return 'sys_number';
  if (k === SECCOMP_DATA.arch) return 'arch';
  if (k === SECCOMP_DATA.instructionPointer) return 'instruction_pointer';
  if (k === SECCOMP_DATA.instructionPointer + 4) return 'instruction_pointer >> 32';
  if (k >= SECCOMP_DATA.arg(0) && k < SECCOMP_DATA.size && k % 4 === 0) {
    const i = Math.floor((k - SECCOMP_DATA.arg(0)) / 8);
    return (k - SECCOMP_DATA.arg(0)) % 8 === 0 ? `args[${i}]` : `args[${i}] >> 32`;
  }
  return `data[${k}]`;
}

/** `ALLOW`, `ERRNO(38)`, `TRAP(1)`, or hex for an action the kernel does not define. */
export function returnName(value: number): string {
  const { action, known } = actionOf(value);
  if (!known) return fmtHex(value, 8);
  const data = value & SECCOMP_RET_DATA;
  return data !== 0 || value >>> 0 === SECCOMP_RET.ERRNO ? `${action}(${data})` : action;
}

function operandName(op: number, k: number, state: FlowState, opts: DisasmOptions): string {
  if (op === BPF_JSET) return fmtHex(k);
  if (state.a === 'arch') {
    const arch = archFromAudit(k);
    if (arch) return ARCH_SYMBOL[arch];
  }
  if (state.a === 'nr' && state.arch !== undefined && opts.syscallName) {
    const name = opts.syscallName(state.arch, k);
    if (name !== undefined) return name;
  }
  return fmtHex(k);
}

/** One line: ` 0000: 0x20 0x00 0x00 0x00000004  A = arch`. */
export function formatLine(pc: number, insn: Insn, text: string): string {
  const code = fmtHex(insn.code, 2);
  return ` ${fmtPc(pc)}: ${code} ${fmtHex(insn.jt, 2)} ${fmtHex(insn.jf, 2)} ${fmtHex(insn.k, 8)}  ${text}`;
}

/** Disassemble a program (or bare insns) to text, header included, one insn per line. */
export function disasm(program: Program | readonly Insn[], opts: DisasmOptions = {}): string {
  const insns = 'insns' in program ? program.insns : program;
  const comments = 'insns' in program ? program.comments : undefined;
  const flow = new FlowTracker(opts.arch);
  const lines = [HEADER, RULE];
  insns.forEach((insn, pc) => {
    let line = formatLine(pc, insn, statement(insn, pc, flow.at(pc), opts));
    const note = opts.comments ? comments?.[pc] : undefined;
    if (note) line += `  # ${note.replace(/\n/g, ' ')}`;
    lines.push(line);
    flow.step(pc, insn);
  });
  return lines.join('\n') + '\n';
}
