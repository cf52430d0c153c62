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

/** Children whose status someone awaits (claimChild), by pid: reapChildren leaves them to the claim. */
const claimed = new Map<number, { settle: (status: number) => void; keepAlive: boolean }>();
/**
 * A ref'd timer while a keep-alive claim is pending. Node's signal handles are unref'd: without
 * a ref'd handle the event loop could empty, and Node exit with 0, before a SIGCHLD is read (a
 * ChildProcess is such a handle). It also polls, should a SIGCHLD be merged with another.
 */
let alive: NodeJS.Timeout | undefined;
const POLL_MS = 500;

function reapClaimed(): void {
  for (const [pid, c] of claimed) {
    const [got, status] = nativeSys.waitpid(pid, WNOHANG);
    // -ECHILD: reaped by someone else after all; its status is lost, so say "killed" rather than "ok".
    if (got === pid || got < 0) {
      claimed.delete(pid);
      c.settle(got === pid ? shellStatus(status) : 128 + 9);
    }
  }
  if (claimed.size === 0) process.off('SIGCHLD', reapClaimed);
  if (alive !== undefined && ![...claimed.values()].some((c) => c.keepAlive)) {
    clearInterval(alive);
    alive = undefined;
  }
}

/**
 * The shell status of child `pid` (started by src/native/spawn.ts, which child_process does not
 * wait for) once it exits; it is reaped then. Claim it before it can exit unseen by a reaper:
 * right after the spawn, in the same tick. `keepAlive`: cr-shim does not exit before it has the
 * status (the program's); a helper that outlives a normal end (the guard) is claimed without.
 */
export function claimChild(pid: number, opts: { keepAlive: boolean }): Promise<number> {
  return new Promise((resolve) => {
    if (claimed.size === 0) process.on('SIGCHLD', reapClaimed);
    claimed.set(pid, { settle: resolve, keepAlive: opts.keepAlive });
    if (opts.keepAlive) alive ??= setInterval(reapClaimed, POLL_MS);
    reapClaimed();
  });
}

/**
 * Reap every exited child but `except` (one that Node's child_process waits
 * for itself) and the claimed ones (claimChild). Returns the pids reaped with
 * their shell statuses.
 */
export function reapChildren(except?: number): Map<number, number> {
  const reaped = new Map<number, number>();
  for (const pid of ourChildren()) {
    if (pid === except || claimed.has(pid)) continue;
    const [got, status] = nativeSys.waitpid(pid, WNOHANG);
    if (got === pid) reaped.set(pid, shellStatus(status));
  }
  return reaped;
}
