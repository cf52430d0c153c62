/**
 * The ptrace(2) and wait(2) calls of the tracer thread, through koffi, with
 * the constants of <linux/ptrace.h> and <linux/wait.h> they need.
 *
 * ptrace is thread-affine: every request on a tracee must come from the thread
 * that attached it. These functions are only called from the tracer worker.
 * glibc's ptrace() is variadic and special-cases the PEEK requests, so the raw
 * syscall is used instead, declared with fixed integer arguments (on x86_64 a
 * variadic callee reads integer arguments from the same registers).
 */
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

/** x86_64 __NR_ptrace. */
const SYS_ptrace = 101;

export const PTRACE = {
  PEEKUSER: 3,
  POKEUSER: 6,
  CONT: 7,
  SYSCALL: 24,
  SEIZE: 0x4206,
  LISTEN: 0x4208,
  GET_SYSCALL_INFO: 0x420e,
} as const;

export const PTRACE_O = {
  TRACESYSGOOD: 0x1,
  TRACEFORK: 0x2,
  TRACEVFORK: 0x4,
  TRACECLONE: 0x8,
  TRACEEXEC: 0x10,
  TRACESECCOMP: 0x80,
  EXITKILL: 0x100000,
} as const;

export const PTRACE_EVENT = { SECCOMP: 7, STOP: 128 } as const;

/** struct ptrace_syscall_info.op for a PTRACE_EVENT_SECCOMP stop. */
export const PTRACE_SYSCALL_INFO_SECCOMP = 3;

/** Wait for every kind of child (__WALL), and only for tracees of this thread (__WNOTHREAD). */
export const WAIT_TRACEES = 0x40000000 | 0x20000000;

const raw = libc.func('long syscall(long nr, long req, long pid, int64_t addr, int64_t data)') as (
  nr: number, req: number, pid: number, addr: bigint | number, data: bigint | number) => number;
const rawBuf = libc.func('long syscall(long nr, long req, long pid, int64_t addr, _Inout_ uint8_t *data)') as (
  nr: number, req: number, pid: number, addr: bigint | number, data: Buffer) => number;

export const ptraceSys = {
  /** A request with integer addr and data; -1 and errno() on failure. */
  request: (req: number, pid: number, addr: bigint | number, data: bigint | number): number => raw(SYS_ptrace, req, pid, addr, data),
  /** A request whose data is a buffer the kernel fills (GET_SYSCALL_INFO: addr is its size; PEEKUSER: the word lands in it). */
  requestBuf: (req: number, pid: number, addr: bigint | number, data: Buffer): number => rawBuf(SYS_ptrace, req, pid, addr, data),
  waitpid: libc.func('int waitpid(int pid, _Out_ int *status, int options)') as (pid: number, status: number[], options: number) => number,
  errno: (): number => koffi.errno(),
};
