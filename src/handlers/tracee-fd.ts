/** A tracee's descriptor, duplicated into the supervisor with pidfd_getfd(2) (5.6): the same open file, shared offset and all. */
import { E } from '../native/errno.js';
import { sys } from '../native/libc.js';

const SYS_pidfd_open = 434;
const SYS_pidfd_getfd = 438;

/** The supervisor's copy of the task's `fd` (the caller closes it), or the errno (ESRCH: the task is gone). */
export function takeFd(pid: number, fd: number): number | { errno: number } {
  const pidfd = sys.syscall3(SYS_pidfd_open, pid, 0, 0);
  if (pidfd < 0) return { errno: E.ESRCH! };
  try {
    const own = sys.syscall3(SYS_pidfd_getfd, pidfd, fd, 0);
    return own < 0 ? { errno: sys.errno() } : own;
  } finally {
    sys.close(pidfd);
  }
}
