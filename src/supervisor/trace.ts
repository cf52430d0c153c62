/**
 * --trace FILE: one JSON line per translated call, arguments decoded with the
 * signature from the persona's table:
 *   {"t":<ms since start>,"pid":N,"arch":"x86_64","syscall":"uname","args":{"name":"0x7ffd..."},"result":0}
 * Strings are read for `const char *` arguments; other pointers print in hex.
 */
import fs from 'node:fs';
import type { Arch } from '../arch.js';
import { ShimError } from '../errors.js';
import type { TraceeMemory } from '../native/tracee-memory.js';
import { errnoName } from '../native/errno.js';

export function decodeArgs(signature: readonly string[], args: readonly bigint[], mem: TraceeMemory, arch: Arch): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  signature.forEach((decl, i) => {
    const m = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[\])?$/.exec(decl.trim());
    const name = m?.[1] ?? `arg${i}`;
    const raw = args[i] ?? 0n;
    const v = arch === 'ia32' ? raw & 0xffffffffn : raw;
    if (decl.includes('*')) {
      if (/\bconst\s+char\s*\*/.test(decl) && v !== 0n) {
        const s = mem.readString(v, 256);
        out[name] = typeof s === 'string' ? s : `0x${v.toString(16)}`;
      } else out[name] = `0x${v.toString(16)}`;
    } else if (/\bunsigned\b|size_t|umode_t|u32|u64/.test(decl)) out[name] = Number(v);
    else out[name] = Number(arch === 'ia32' ? BigInt.asIntN(32, v) : BigInt.asIntN(64, v));
  });
  return out;
}

/**
 * Refuse a --trace FILE that cannot be written, before any program starts: the supervisor opens
 * it only once the program is filtered, too late for one clear line. Creates the file (empty) if
 * it is missing; an existing file is left as it is until the supervisor truncates it.
 */
export function assertTraceWritable(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600);
  } catch (cause) {
    const e = cause as NodeJS.ErrnoException;
    throw new ShimError('--trace', `cannot write ${file}: ${e.code === 'EISDIR' ? 'it is a directory' : e.code === 'ENOENT' ? 'its directory does not exist' : (e.code ?? e.message)}`, {
      cause,
      code: e.code,
      hint: 'give a file path in a directory you may write',
    });
  }
  fs.closeSync(fd);
}

export class TraceWriter {
  private readonly fd: number;
  private readonly start = process.hrtime.bigint();

  constructor(file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  write(rec: { pid: number; arch: Arch | undefined; syscall: string; args: Record<string, string | number>; result: bigint | 'continue' }): void {
    const t = Number(process.hrtime.bigint() - this.start) / 1e6;
    const result = rec.result === 'continue' ? 'continue' : Number(rec.result);
    const line: Record<string, unknown> = { t: Math.round(t * 1000) / 1000, pid: rec.pid, arch: rec.arch, syscall: rec.syscall, args: rec.args, result };
    if (typeof result === 'number' && result < 0) line.error = errnoName(-result);
    fs.writeSync(this.fd, JSON.stringify(line) + '\n');
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
