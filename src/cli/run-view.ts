/**
 * How `cr-shim run` presents the persona's identity files and io_uring: the
 * plan's view of the tree, decided once before the session is built.
 *
 *   identity by mount   the launcher makes a private mount namespace with the
 *                       persona's files bind-mounted over /proc/version and
 *                       /proc/sys/kernel/{osrelease,version,ostype}; opens are
 *                       never trapped. Needs CAP_SYS_ADMIN (unshare(CLONE_NEWNS))
 *                       and the notify mechanism's launcher.
 *   identity by trap    opens go to the supervisor (as under restore and attach):
 *                       one round trip per open, but the tree stays in cr-shim's
 *                       mount namespace, which CRIU needs to dump it (it cannot
 *                       dump a file opened in another mount namespace, e.g. the
 *                       inherited stdin, "Can't lookup mount=N for fd=0").
 */
import type { PlanView } from '../plan/compute.js';
import { CAP, hasCap, readCreds } from '../native/tracee-creds.js';
import type { MechanismId } from '../mechanisms/types.js';

/** The option texts, stated once for run's help and the docs. */
export const DUMPABLE_HELP = 'keep the program in cr-shim\'s mount namespace so that cr-shim dump can checkpoint it; opens then cost one supervisor round trip each (the identity files are answered by the supervisor instead of bind mounts)';
export const ALLOW_IO_URING_HELP = 'let the program create io_uring rings: their requests never pass through seccomp, so a ring reads the host\'s /proc/version and any file without the shim seeing it (default: io_uring_setup fails with EPERM, as with kernel.io_uring_disabled=2)';

export const ALLOW_TIOCSTI_HELP = 'a known hole: under personas before 6.2, let the program push input into its controlling terminal with ioctl(TIOCSTI) although this host has dev.tty.legacy_tiocsti=0 (the supervisor performs it with its privilege); a program allowed this can type commands into the shell that started it';

export interface RunViewRequest {
  mechanism: MechanismId;
  dumpable: boolean;
  allowIoUring: boolean;
}

export function runView(r: RunViewRequest): { view: PlanView; notices: string[] } {
  const notices: string[] = [];
  let identityMounted = r.mechanism === 'notify' && !r.dumpable;
  const self = readCreds(process.pid);
  if (identityMounted && (self === null || !hasCap(self, CAP.SYS_ADMIN))) {
    identityMounted = false;
    notices.push('no CAP_SYS_ADMIN for a private mount namespace: the identity files are answered by the supervisor, one round trip per open');
  }
  return { view: { identityMounted, ioUring: r.allowIoUring }, notices };
}
