/**
 * cr-shim as a child subreaper: orphans of the supervised tree are re-parented
 * to it, and it must reap them, or their zombies keep the filter (and so the
 * listener) alive and supervision never ends.
 */
import fs from 'node:fs';
import { ShimError } from '../errors.js';
import { errnoName } from '../native/errno.js';
import { nativeSys } from '../native/libc.js';

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;

/** Make orphans of our descendants come back to us, so their zombies are reaped. */
export function becomeSubreaper(): void {
  const rc = nativeSys.prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (rc !== 0) throw new ShimError('prctl(PR_SET_CHILD_SUBREAPER)', `errno ${-rc}`, { code: errnoName(-rc) });
}

/** A wait status as a shell reports it: the code, or 128+N when killed by signal N. */
export function shellStatus(wstatus: number): number {
  const sig = wstatus & 0x7f;
  return sig === 0 ? (wstatus >> 8) & 0xff : 128 + sig;
}

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
 * for itself). Returns the pids reaped with their shell statuses.
 */
export function reapChildren(except?: number): Map<number, number> {
  const reaped = new Map<number, number>();
  for (const pid of ourChildren()) {
    if (pid === except) continue;
    const [got, status] = nativeSys.waitpid(pid, WNOHANG);
    if (got === pid) reaped.set(pid, shellStatus(status));
  }
  return reaped;
}
