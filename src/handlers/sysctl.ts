/**
 * _sysctl(2), the binary sysctl interface removed in 5.5 (gutted to a stub
 * answering ENOSYS from 5.5 to 5.8, gone from 5.9). Emulated the way
 * kernel/sysctl_binary.c did it from 2.6.33 to 5.4: map the numeric name to a
 * /proc/sys path (tables/sysctl-binary.json) and convert between the file's text
 * and the caller's binary buffers. The persona's identity files answer with
 * the persona's values.
 *
 * struct __sysctl_args (include/uapi/linux/sysctl.h):
 *   x86_64: int *name @0; int nlen @8; void *oldval @16; size_t *oldlenp @24; void *newval @32; size_t newlen @40  (80 bytes)
 *   ia32 (struct compat_sysctl_args): u32 name @0; int nlen @4; u32 oldval @8; u32 oldlenp @12; u32 newval @16; u32 newlen @20  (40 bytes)
 *
 * Permission: the supervisor runs as root, so it checks what the task may do
 * before opening anything, with proc_sys's rule (fs/proc/proc_sysctl.c
 * test_perm): euid 0 gets the owner bits, a member of group 0 the group bits,
 * anyone else the other bits; EACCES otherwise.
 */
import fs from 'node:fs';
import { E } from '../native/errno.js';
import { readCreds, type TraceeCreds } from '../native/tracee-creds.js';
import { identityFiles } from './proc-identity.js';
import { openRemovedInTask } from './sysctl-removed.js';
import { loadSysctlRemovedFile, type SysctlRemovedEntry } from '../tables/load.js';
import type { Call, Handler, HandlerContext, Reply } from './types.js';

/** One numeric sysctl name and the /proc/sys file it stands for. */
export interface BinarySysctl {
  name: number[];
  path: string;
  type: string;
}

export type SysctlLookup = (name: readonly number[]) => BinarySysctl | 'dir' | undefined;

const CTL_MAXNAME = 10;
const MAY_WRITE = 2;
const MAY_READ = 4;

interface Args { name: bigint; nlen: number; oldval: bigint; oldlenp: bigint; newval: bigint; newlen: bigint }

function readArgs(call: Call, wordSize: 4 | 8): Args | null {
  const size = wordSize === 8 ? 80 : 40;
  const b = call.mem.read(call.args[0]!, size);
  if (b === null) return null;
  const word = (i: number): bigint => (wordSize === 8 ? b.readBigUInt64LE(i * 8) : BigInt(b.readUInt32LE(i * 4)));
  return {
    name: word(0),
    nlen: wordSize === 8 ? b.readInt32LE(8) : b.readInt32LE(4),
    oldval: word(2),
    oldlenp: word(3),
    newval: word(4),
    newlen: word(5),
  };
}

/** fs/proc/proc_sysctl.c test_perm(), on the task's credentials. */
export function sysctlPermitted(mode: number, op: number, c: TraceeCreds): boolean {
  let m = mode;
  if (c.euid === 0) m >>= 6;
  else if (c.egid === 0 || c.groups.includes(0)) m >>= 3;
  return (op & ~m & 7) === 0;
}

type Outcome = { copied: bigint } | { errno: number };

const GONE: Outcome = { errno: E.ESRCH! };

// Re-check NOTIF_ID_VALID immediately before every write into the task and every action taken
// for it: between the last check and now the task may have died and its pid been reused, and
// the write would land in (or the credentials just read belong to) another process.
function writeBytes(call: Call, addr: bigint, bytes: Uint8Array): Outcome | undefined {
  if (!call.stillValid()) return GONE;
  return call.mem.write(addr, bytes) ? undefined : { errno: E.EFAULT! };
}

function writeWord(call: Call, addr: bigint, value: bigint, size: 4 | 8): Outcome | undefined {
  if (!call.stillValid()) return GONE;
  return call.mem.writeWord(addr, value, size) ? undefined : { errno: E.EFAULT! };
}

/** The file's text as the task's kernel would show it. */
function readText(file: string | number, path: string, ctx: HandlerContext): string {
  return identityFiles(ctx.persona).get('/proc/sys/' + path) ?? fs.readFileSync(file, 'latin1');
}

let removedTable: readonly SysctlRemovedEntry[] | undefined;

/**
 * Where a binary name's value lives: the supervisor's /proc/sys file, or for a file the
 * persona had and a later kernel removed, the stand-in run added to the task's mount
 * namespace (an fd, opened and checked by openRemovedInTask; the caller closes it).
 */
function sysctlTarget(call: Call, ctx: HandlerContext, path: string): string | number {
  removedTable ??= loadSysctlRemovedFile().files;
  return openRemovedInTask(call.pid, path, ctx.persona.mainline, removedTable) ?? '/proc/sys/' + path;
}

function convert(call: Call, ctx: HandlerContext, entry: BinarySysctl, a: Args, oldlen: bigint, wordSize: 4 | 8): Outcome {
  const wantOld = a.oldval !== 0n && oldlen !== 0n;
  const wantNew = a.newval !== 0n && a.newlen !== 0n;
  if (!wantOld && !wantNew) return { copied: 0n };
  const file = sysctlTarget(call, ctx, entry.path);
  try {
    return convertAt(file, call, ctx, entry, a, oldlen, wordSize, wantOld, wantNew);
  } finally {
    if (typeof file === 'number') fs.closeSync(file);
  }
}

function convertAt(
  file: string | number, call: Call, ctx: HandlerContext, entry: BinarySysctl, a: Args, oldlen: bigint, wordSize: 4 | 8, wantOld: boolean, wantNew: boolean,
): Outcome {
  let mode: number;
  try {
    mode = (typeof file === 'number' ? fs.fstatSync(file) : fs.statSync(file)).mode & 0o777;
  } catch {
    return { errno: E.ENOENT! };
  }
  const creds = readCreds(call.pid);
  if (creds === null) return GONE;
  // The credentials were read by pid: they are the task's only if it is still the one that asked.
  if (!call.stillValid()) return GONE;
  const op = (wantOld ? MAY_READ : 0) | (wantNew ? MAY_WRITE : 0);
  if (!sysctlPermitted(mode, op, creds)) return { errno: E.EACCES! };

  let copied = 0n;
  if (wantOld) {
    const text = readText(file, entry.path, ctx);
    if (entry.type === 'string') {
      // bin_string: read up to oldlen bytes, then turn a trailing newline into NUL.
      const bytes = Buffer.from(text, 'latin1').subarray(0, Number(oldlen > 65536n ? 65536n : oldlen));
      const newline = bytes.length > 0 && bytes[bytes.length - 1] === 0x0a;
      if (newline) bytes[bytes.length - 1] = 0;
      const failed = writeBytes(call, a.oldval, bytes);
      if (failed) return failed;
      copied = BigInt(newline ? bytes.length - 1 : bytes.length);
    } else if (entry.type === 'int' || entry.type === 'ulong') {
      // bin_intvec / bin_ulongvec: decimal text to an array of unsigned values.
      const size = entry.type === 'int' ? 4 : wordSize;
      const values = text.trim().split(/\s+/).filter(Boolean);
      const max = Number(oldlen / BigInt(size));
      for (let i = 0; i < max && i < values.length; i++) {
        const failed = writeWord(call, a.oldval + BigInt(i * size), BigInt.asUintN(size * 8, BigInt(Math.trunc(Number(values[i])))), size as 4 | 8);
        if (failed) return failed;
        copied += BigInt(size);
      }
    } else if (entry.type === 'uuid') {
      const hex = text.trim().replace(/-/g, '');
      const bytes = Buffer.from(hex, 'hex').subarray(0, Number(oldlen < 16n ? oldlen : 16n));
      const failed = writeBytes(call, a.oldval, bytes);
      if (failed) return failed;
      copied = BigInt(bytes.length);
    } else {
      return { errno: E.ENOTDIR! };
    }
  }
  if (wantNew) {
    if (a.newlen > 65536n) return { errno: E.EINVAL! };
    const raw = call.mem.read(a.newval, Number(a.newlen));
    if (raw === null) return { errno: E.EFAULT! };
    let out: Buffer;
    if (entry.type === 'string') out = raw;
    else if (entry.type === 'int' || entry.type === 'ulong') {
      const size = entry.type === 'int' ? 4 : wordSize;
      const parts: string[] = [];
      for (let i = 0; i + size <= raw.length; i += size) parts.push(String(size === 4 ? raw.readUInt32LE(i) : raw.readBigUInt64LE(i)));
      out = Buffer.from(parts.map((p) => p + '\t').join(''), 'latin1');
    } else return { errno: E.ENOTDIR! };
    // The permission check above was for this task: act for it only while it is still there.
    if (!call.stillValid()) return GONE;
    try {
      // Fewer bytes than one value: bin_intvec wrote an empty string, which proc_dointvec takes
      // as no change; written as such it would empty a removed sysctl's stand-in file instead.
      if (out.length === 0 && entry.type !== 'string') {
        // Nothing to write.
      } else if (typeof file === 'number') {
        // A stand-in holds the value as the sysctl printed it: numbers apart by tabs, a newline.
        const text = entry.type === 'string' ? out : Buffer.from(out.toString('latin1').trim().split(/\s+/).join('\t') + '\n', 'latin1');
        fs.ftruncateSync(file, 0);
        fs.writeSync(file, text, 0, text.length, 0);
      } else {
        fs.writeFileSync(file, out);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { errno: (code && E[code]) || E.EIO! };
    }
  }
  return { copied };
}

/**
 * The syscall body shared by the full interface and the 5.5-5.8 stub: both copy
 * and check the same arguments in the same order; only the conversion differs.
 */
export function makeSysctlHandler(id: string, lookup: SysctlLookup, gutted: boolean): Handler {
  return {
    id,
    handle(call: Call, ctx: HandlerContext): Reply {
      const wordSize = call.arch === 'ia32' ? 4 : 8;
      const a = readArgs(call, wordSize);
      if (a === null) return { kind: 'error', errno: E.EFAULT! };
      if (a.oldval !== 0n && a.oldlenp === 0n) return { kind: 'error', errno: E.EFAULT! };
      let oldlen = 0n;
      if (a.oldlenp !== 0n) {
        const v = call.mem.readWord(a.oldlenp, wordSize);
        if (v === null) return { kind: 'error', errno: E.EFAULT! };
        oldlen = v;
      }
      if (a.nlen < 0 || a.nlen > CTL_MAXNAME) return { kind: 'error', errno: E.ENOTDIR! };
      const name: number[] = [];
      for (let i = 0; i < a.nlen; i++) {
        const v = call.mem.readI32(a.name + BigInt(i * 4));
        if (v === null) return { kind: 'error', errno: E.EFAULT! };
        name.push(v);
      }
      let result: Outcome;
      if (gutted) result = { errno: E.ENOSYS! };
      else {
        const entry = lookup(name);
        if (entry === undefined || entry === 'dir') result = { errno: E.ENOTDIR! };
        else if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
        else result = convert(call, ctx, entry, a, oldlen, wordSize);
      }
      if (result === GONE) return { kind: 'error', errno: E.ESRCH! };
      if ('copied' in result) oldlen = result.copied;
      if (a.oldlenp !== 0n) {
        const failed = writeWord(call, a.oldlenp, oldlen, wordSize);
        if (failed) return { kind: 'error', errno: (failed as { errno: number }).errno };
      }
      return 'copied' in result ? { kind: 'return', val: 0n } : { kind: 'error', errno: result.errno };
    },
  };
}
