/**
 * Threads in SECCOMP_MODE_STRICT, found before anything is injected. Nothing can be injected
 * into such a thread: strict mode kills it at any call but read, write, exit and rt_sigreturn
 * (kernel/seccomp.c __secure_computing_strict; PTRACE_O_SUSPEND_SECCOMP would let the injected
 * calls through, but seccomp(SET_MODE_FILTER) is then refused: a strict task's mode cannot
 * change, seccomp_may_assign_mode). Such a thread can make no call whose answer differs between
 * kernels, yet its process cannot get cr-shim's filter (TSYNC refuses a thread in strict mode),
 * so `attach` refuses the tree: skipping the process would leave it unsupervised among
 * supervised ones, and injecting into its other threads would split one process in two.
 */
import fs from 'node:fs';

/** SECCOMP_MODE_STRICT, as the "Seccomp:" line of /proc/PID/status shows it. */
export const SECCOMP_MODE_STRICT = 1;

export interface StrictThread {
  pid: number;
  tid: number;
}

/** The thread's SECCOMP_MODE_*, or undefined when it is gone. */
function seccompMode(pid: number, tid: number): number | undefined {
  try {
    const m = /^Seccomp:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function threadsOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number).filter((t) => Number.isInteger(t) && t > 0);
  } catch {
    return [];
  }
}

/** Every thread of `pids` in strict mode now (a thread may still enter it later: the injection then fails). */
export function strictThreads(pids: readonly number[]): StrictThread[] {
  return pids.flatMap((pid) => threadsOf(pid).filter((tid) => seccompMode(pid, tid) === SECCOMP_MODE_STRICT).map((tid) => ({ pid, tid })));
}
