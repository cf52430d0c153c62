/**
 * Rewriting a call in place, which only a tracer can do: user notification
 * answers a call or lets it run unchanged, but a tracer stopped at
 * PTRACE_EVENT_SECCOMP may change the task's registers and memory first.
 *
 * A handler's `addfd` reply (install this fd as the call's result) becomes,
 * under ptrace: write "/proc/<supervisor pid>/fd/<fd>" into the task's memory
 * just below its stack red zone, point the call's path argument at it, and let
 * the kernel run the call. The task opens the supervisor's fd itself, with its
 * own flags (O_CLOEXEC included), and gets a new open file description of the
 * same file. At the syscall-exit stop the argument register is put back (the
 * syscall ABI preserves it, and compiled code relies on that) and the
 * supervisor closes its fd. After the tracer changes a call the kernel runs the
 * filter again (4.8+) and treats a second TRACE verdict as allow, so the
 * rewritten call is not stopped twice.
 *
 * Limits: the task needs PTRACE_MODE_READ over the supervisor to open its
 * /proc fd (same uid or CAP_SYS_PTRACE; true when both run as root); a call
 * that passed O_NOFOLLOW gets ELOOP, as for any /proc/PID/fd link.
 */

/** Which argument holds the path, for the calls whose `addfd` reply can be rewritten this way. */
export const PATH_ARG: Readonly<Record<string, number>> = {
  open: 0,
  openat: 1,
  openat2: 1,
};

/** The path the task opens instead of its own. */
export function supervisorFdPath(supervisorPid: number, fd: number): string {
  return `/proc/${supervisorPid}/fd/${fd}`;
}

/** Where to put `len` bytes below the stack pointer `sp`, clear of the red zone, 16-byte aligned. */
export function scratchAddress(sp: bigint, len: number, redZone: number): bigint {
  return (sp - BigInt(redZone) - BigInt(len)) & ~15n;
}
