/**
 * Children whose exit status someone awaits: the ones cr-shim starts itself (src/native/spawn.ts),
 * which no ChildProcess waits for. The subreaper's loop (src/supervisor/reaper.ts) reaps every
 * other child and leaves these to their claim.
 */
import { nativeSys } from './libc.js';

const WNOHANG = 1;

/** A wait status as a shell reports it: the code, or 128+N when killed by signal N. */
export function shellStatus(wstatus: number): number {
  const sig = wstatus & 0x7f;
  return sig === 0 ? (wstatus >> 8) & 0xff : 128 + sig;
}

/** By pid. */
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

/** Is `pid` claimed (its status awaited)? */
export function isClaimed(pid: number): boolean {
  return claimed.has(pid);
}
