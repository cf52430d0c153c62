/**
 * cr-shim as a child subreaper: orphans of the supervised tree are re-parented
 * to it, and it must reap them, or their zombies keep the filter (and so the
 * listener) alive and supervision never ends.
 */
import fs from 'node:fs';
import { ShimError } from '../errors.js';
import { errnoName } from '../native/errno.js';
import { isClaimed, shellStatus } from '../native/child-claims.js';
import { nativeSys } from '../native/libc.js';

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;

/** Make orphans of our descendants come back to us, so their zombies are reaped. */
export function becomeSubreaper(): void {
  const rc = nativeSys.prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (rc !== 0) throw new ShimError('prctl(PR_SET_CHILD_SUBREAPER)', `errno ${-rc}`, { code: errnoName(-rc) });
}

export { shellStatus };

/** Our children, from every thread's /proc/self/task/TID/children (CONFIG_PROC_CHILDREN). */
export function ourChildren(): number[] {
  try {
    return fs
      .readdirSync('/proc/self/task')
      .flatMap((t) => fs.readFileSync(`/proc/self/task/${t}/children`, 'utf8').split(/\s+/))
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Reap every exited child but `except` (one that Node's child_process waits
 * for itself) and the claimed ones (claimChild). Returns the pids reaped with
 * their shell statuses.
 */
export function reapChildren(except?: number): Map<number, number> {
  const reaped = new Map<number, number>();
  for (const pid of ourChildren()) {
    if (pid === except || isClaimed(pid)) continue;
    const [got, status] = nativeSys.waitpid(pid, WNOHANG);
    if (got === pid) reaped.set(pid, shellStatus(status));
  }
  return reaped;
}
