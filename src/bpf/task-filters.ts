/**
 * Reading a live task's seccomp filters with ptrace(2), the only file in
 * src/bpf that talks to the kernel. The lifecycle per thread:
 *
 *   PTRACE_SEIZE            attach without stopping or signalling it
 *   PTRACE_INTERRUPT        ask for a trap; waitpid(tid, __WALL) sees it stopped
 *   PTRACE_SECCOMP_GET_FILTER (4.4+, CONFIG_CHECKPOINT_RESTORE)
 *                           index 0, 1, ... until ENOENT; returns the insn count
 *   PTRACE_SECCOMP_GET_METADATA (4.16+) the filter's SECCOMP_FILTER_FLAG_LOG
 *   PTRACE_DETACH           resume it, handing back a signal the stop swallowed
 *
 * Index order, checked on this machine's kernel (6.18): index 0 is the OLDEST
 * filter, the one installed first, and the highest index the newest. ptrace(2)
 * and the commit that added the call say the opposite ("the most recently
 * installed filter has the index 0"); kernel/seccomp.c get_nth_filter() walks
 * count - 1 - index steps back from the newest. test/bpf/task-filters.test.ts
 * pins the order.
 *
 * The kernel answers GET_FILTER with EACCES when the caller lacks CAP_SYS_ADMIN
 * or is itself under seccomp, and EINVAL when the task is not in filter mode
 * or the kernel lacks CONFIG_CHECKPOINT_RESTORE.
 */
import fs from 'node:fs';
import koffi from 'koffi';
import { KernelError } from '../errors.js';
import { sys } from '../native/libc.js';
import { INSN_SIZE } from './encode.js';

const libc = koffi.load('libc.so.6');
// glibc declares ptrace variadic: call it as such, with each argument typed.
const ptraceFn = libc.func('long ptrace(int request, ...)') as (req: number, ...typed: unknown[]) => number;

const PTRACE_DETACH = 17;
const PTRACE_SEIZE = 0x4206;
const PTRACE_INTERRUPT = 0x4207;
const PTRACE_SECCOMP_GET_FILTER = 0x420c;
const PTRACE_SECCOMP_GET_METADATA = 0x420d;
const PTRACE_EVENT_STOP = 128;
const WALL = 0x40000000;
/** SECCOMP_MODE_FILTER, as /proc/PID/status "Seccomp:" shows it. */
export const SECCOMP_MODE_FILTER = 2;

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 10: 'ECHILD', 13: 'EACCES', 14: 'EFAULT', 22: 'EINVAL', 124: 'EMEDIUMTYPE',
};
const errnoName = (e: number): string => ERRNO_NAMES[e] ?? `errno ${e}`;

function ptrace(req: number, tid: number, addr: number, data: Buffer | number | null): { ret: number; errno: number } {
  const ret = ptraceFn(req, 'int', tid, 'unsigned long', addr, ...(Buffer.isBuffer(data) ? ['void *', data] : ['unsigned long', data ?? 0]));
  // koffi's own errno, read at once: libc.ts loads its koffi handle lazily, and that load
  // (dlopen) would overwrite errno before sys.errno() could read it.
  return { ret, errno: ret < 0 ? koffi.errno() : 0 };
}

export interface TaskFilter {
  /** PTRACE_SECCOMP_GET_FILTER index: 0 is the oldest. */
  index: number;
  /** Raw struct sock_filter bytes, as installed. */
  insns: Buffer;
  /** SECCOMP_FILTER_FLAG_* the kernel remembers (only LOG); undefined where GET_METADATA is missing. */
  flags: number | undefined;
}

export interface ThreadFilters {
  tid: number;
  /** SECCOMP_MODE_*: 0 none, 1 strict, 2 filter. */
  mode: number;
  /** Oldest first. */
  filters: TaskFilter[];
}

/** The `Key:` line of /proc/TID/status, or undefined when the task is gone. */
function statusField(tid: number, key: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${tid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  return new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
}

/** The thread ids of process `pid` (/proc/PID/task), in ascending order. Throws KernelError if there is no such process. */
export function threadsOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
  } catch (cause) {
    throw new KernelError(`read /proc/${pid}/task`, `no process ${pid}`, { cause, code: 'ESRCH' });
  }
}

/** The process name, for reports; '' if unknown. */
export function commOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function seizeError(tid: number, errno: number): KernelError {
  const op = `ptrace(PTRACE_SEIZE, ${tid})`;
  if (errno === 3) return new KernelError(op, `no task ${tid}`, { code: 'ESRCH' });
  const tracer = Number(statusField(tid, 'TracerPid') ?? 0);
  if (errno === 1 && tracer !== 0) {
    const name = commOf(tracer);
    return new KernelError(op, `task ${tid} is already traced by pid ${tracer}${name ? ` (${name})` : ''}`, {
      code: 'EBUSY',
      hint: 'a task has one tracer at a time: detach the debugger or tracer first',
    });
  }
  if (errno === 1) {
    return new KernelError(op, `not permitted to trace task ${tid}`, {
      code: 'EPERM',
      hint: 'tracing needs the same user or CAP_SYS_PTRACE, reading filters CAP_SYS_ADMIN; a task cannot trace its own process',
    });
  }
  return new KernelError(op, errnoName(errno), { code: errnoName(errno) });
}

/** Wait for the stop PTRACE_INTERRUPT asked for. Returns the signal to hand back at detach, or undefined if the thread died. */
function waitStopped(tid: number): number | undefined {
  const status = [0];
  for (;;) {
    const r = sys.waitpid(tid, status, WALL);
    if (r < 0) {
      const e = sys.errno();
      if (e === 4) continue;
      throw new KernelError(`waitpid(${tid}, __WALL)`, errnoName(e), { code: errnoName(e) });
    }
    const s = status[0]!;
    if ((s & 0xff) !== 0x7f) return undefined; // not WIFSTOPPED: it exited or was killed
    const sig = (s >> 8) & 0xff;
    // A PTRACE_EVENT_STOP (the interrupt, or group-stop) carries no signal to deliver;
    // a plain signal-delivery-stop means the thread was about to take `sig`.
    return s >> 16 === PTRACE_EVENT_STOP ? 0 : sig;
  }
}

function readFilters(tid: number): TaskFilter[] {
  const filters: TaskFilter[] = [];
  for (let index = 0; ; index++) {
    const op = `ptrace(PTRACE_SECCOMP_GET_FILTER, ${tid}, ${index})`;
    const count = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, index, null);
    if (count.ret < 0) {
      if (count.errno === 2) return filters; // ENOENT: past the last filter
      if (count.errno === 22 && index === 0) {
        throw new KernelError(op, `task ${tid} is in seccomp filter mode but the kernel will not show its filters`, {
          code: 'EINVAL',
          hint: 'the kernel needs CONFIG_CHECKPOINT_RESTORE for PTRACE_SECCOMP_GET_FILTER',
        });
      }
      if (count.errno === 13) {
        throw new KernelError(op, 'permission denied', {
          code: 'EACCES',
          hint: 'reading filters needs CAP_SYS_ADMIN, and cr-shim must not itself run under seccomp',
        });
      }
      throw new KernelError(op, errnoName(count.errno), { code: errnoName(count.errno) });
    }
    const insns = Buffer.alloc(count.ret * INSN_SIZE);
    const got = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, index, insns);
    if (got.ret !== count.ret) {
      throw new KernelError(op, got.ret < 0 ? errnoName(got.errno) : `filter changed size (${count.ret} then ${got.ret} insns)`, { code: errnoName(got.errno) });
    }
    // struct seccomp_metadata { __u64 filter_off; __u64 flags; }
    const meta = Buffer.alloc(16);
    meta.writeBigUInt64LE(BigInt(index), 0);
    const md = ptrace(PTRACE_SECCOMP_GET_METADATA, tid, meta.length, meta);
    filters.push({ index, insns, flags: md.ret < 0 ? undefined : Number(meta.readBigUInt64LE(8)) });
  }
}

/**
 * Every seccomp filter of each listed thread, oldest first. Seizes all the
 * threads, stops them, reads, and detaches from each (also on error). A thread
 * that exits meanwhile is left out. Throws KernelError naming the ptrace call
 * that failed: ESRCH for no such task, EBUSY for a task another tracer holds,
 * EPERM/EACCES with a hint about the capabilities needed.
 */
export function readThreadFilters(tids: readonly number[]): ThreadFilters[] {
  const seized: { tid: number; signal: number }[] = [];
  try {
    for (const tid of tids) {
      const r = ptrace(PTRACE_SEIZE, tid, 0, 0);
      if (r.ret < 0) {
        // A thread of a multi-threaded dump may exit between listing and seizing.
        if (r.errno === 3 && tids.length > 1) continue;
        throw seizeError(tid, r.errno);
      }
      seized.push({ tid, signal: 0 });
    }
    const out: ThreadFilters[] = [];
    for (const t of seized) {
      const r = ptrace(PTRACE_INTERRUPT, t.tid, 0, 0);
      if (r.ret < 0 && r.errno !== 3) throw new KernelError(`ptrace(PTRACE_INTERRUPT, ${t.tid})`, errnoName(r.errno), { code: errnoName(r.errno) });
      const sig = r.ret < 0 ? undefined : waitStopped(t.tid);
      if (sig === undefined) {
        t.signal = -1;
        continue;
      }
      t.signal = sig;
      const mode = Number(statusField(t.tid, 'Seccomp') ?? 0);
      out.push({ tid: t.tid, mode, filters: mode === SECCOMP_MODE_FILTER ? readFilters(t.tid) : [] });
    }
    if (out.length === 0) throw new KernelError(`read filters of ${tids.join(', ')}`, 'every thread exited', { code: 'ESRCH' });
    return out;
  } finally {
    for (const t of seized) if (t.signal >= 0) ptrace(PTRACE_DETACH, t.tid, 0, t.signal);
  }
}
