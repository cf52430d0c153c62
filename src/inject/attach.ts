/**
 * `cr-shim attach PID`: put a running tree (PID and its descendants, every
 * thread) under the shim. The filter cannot be taken out again, so the
 * processes keep it, and cr-shim supervises them, until they exit.
 *
 * PID is not our child: its end is watched (pidfd), its status cannot be read.
 *
 * With `handOver` (src/restore/hand-over.ts decides) the filter is a running `cr-shim serve`'s
 * and, once injected, the tree is the service's to guard and supervise.
 */
import fs, { closeSync } from 'node:fs';
import { ShimError, UsageError } from '../errors.js';
import { parentOf } from '../criu/supervised-record.js';
import type { Session } from '../supervisor/session.js';
import { superviseTree, type AdoptResult } from '../supervisor/adopt.js';
import { guardSupervisedTree } from '../supervisor/tree-guard.js';
import { injectFilter, InjectError } from './injector.js';
import { killTree, listTree } from './tree.js';
import { strictThreads } from './strict-tasks.js';
import { writeVdsoNotes } from './vdso-note.js';

export const ATTACH_NOTICE = 'attach: the filter stays installed for the life of these processes; it cannot be removed';

/** A running service to give the tree to (src/restore/hand-over.ts's HandOver). */
export interface AttachHandOver {
  readonly filter: Uint8Array;
  readonly servicePid: number;
  supervise(tree: { root: number; rootIs: 'foreign'; listeners: readonly { pid: number; fd: number }[]; mode: 'running' }): Promise<AdoptResult>;
}

export interface AttachOptions {
  pid: number;
  /** The session to supervise with here; or `handOver`. */
  session?: Session;
  handOver?: AttachHandOver;
  native: boolean;
  traceFile?: string;
  notice: (line: string) => void;
}

/** `pid` is `from` or one of its ancestors: injecting there would stop a supervisor that is needed. */
function isAncestorOrSelf(pid: number, from: number): boolean {
  for (let p: number | undefined = from; p !== undefined && p > 0; p = parentOf(p)) {
    if (p === pid) return true;
    if (p === 1) break;
  }
  return false;
}

/** cr-shim itself and its ancestors. */
function selfOrAncestor(pid: number): boolean {
  return isAncestorOrSelf(pid, process.pid);
}

/** Inject and supervise until the tree is gone. Throws UsageError for a bad PID, ShimError (InjectError's message) when injection fails. */
export async function attach(opts: AttachOptions): Promise<AdoptResult> {
  const { pid, session, handOver } = opts;
  if (!fs.existsSync(`/proc/${pid}`)) {
    // The same cause and status as `dump` of a missing PID: the argument names no process (125).
    throw new ShimError('attach', `no process ${pid}`, { code: 'ESRCH', hint: 'check the PID (ps -p PID)' });
  }
  if (selfOrAncestor(pid)) {
    throw new UsageError('attach', `process ${pid} is cr-shim itself or one of its ancestors`, { code: 'EINVAL', hint: 'attach to a process outside cr-shim\'s own ancestry' });
  }
  if (handOver !== undefined && isAncestorOrSelf(pid, handOver.servicePid)) {
    throw new UsageError('attach', `process ${pid} is cr-shim serve (pid ${handOver.servicePid}) or one of its ancestors`, { code: 'EINVAL', hint: 'attach to a process outside the service\'s ancestry, or use --no-serve' });
  }
  const strict = strictThreads(listTree(pid));
  if (strict.length > 0) {
    const named = strict.map((t) => (t.tid === t.pid ? `process ${t.pid}` : `thread ${t.tid} of process ${t.pid}`)).join(', ');
    throw new ShimError('attach', `${named} is in SECCOMP_MODE_STRICT: nothing can be injected into it (any call but read, write, exit and rt_sigreturn kills it); the tree was left as it was`, {
      code: 'EPERM',
      hint: 'start the program under cr-shim run, where a request for strict mode gets an equivalent filter',
    });
  }
  const filter = handOver?.filter ?? session?.filter;
  if (filter === undefined) throw new ShimError('attach', 'neither a session nor a service to supervise with', { code: 'EINVAL' });
  let injected;
  try {
    injected = await injectFilter({ pids: [pid], descendants: true, filter });
  } catch (err) {
    if (!(err instanceof InjectError)) throw err;
    // Processes that got the filter would meet ENOSYS now that their listeners are closed: not a state to leave them in.
    const killed = err.filtered.length > 0;
    if (killed) killTree(err.processes);
    const outcome = killed ? `; the ${err.processes.length} process(es) already held were killed` : '; the tree was left as it was';
    throw new ShimError(err.op, `${err.message}${outcome}`, { cause: err, code: err.code, ...(err.hint ? { hint: err.hint } : {}) });
  }
  // The tree runs on: its next exec is the watcher's, what it maps now is written here (before the notice that says it is ours).
  // (Handed over, the service writes them: it holds the session.)
  const vdso = session === undefined ? undefined : await writeVdsoNotes(session, [...new Set([...injected.processes, ...listTree(pid)])], { held: false });
  if (vdso) opts.notice(`attach: ${vdso}`);
  opts.notice(ATTACH_NOTICE);
  if (handOver !== undefined) {
    try {
      return await handOver.supervise({ root: pid, rootIs: 'foreign', listeners: injected.listeners, mode: 'running' });
    } catch (err) {
      // Filtered and without a supervisor: not a state to leave them in.
      killTree([pid, ...injected.processes]);
      throw err;
    }
  }
  if (session === undefined) throw new ShimError('attach', 'no session to supervise with', { code: 'EINVAL' });
  let guarded;
  try {
    // The tree runs on while it is moved: adopt() lists it again until nothing forked outside.
    guarded = await guardSupervisedTree(pid, () => listTree(pid), session.persona, session.filter, injected.listeners.map((l) => l.fd));
  } catch (err) {
    for (const l of injected.listeners) closeSync(l.fd);
    killTree(injected.processes);
    throw err;
  }
  let finished = false;
  try {
    const result = await superviseTree({
      listenerFds: injected.listeners.map((l) => l.fd),
      worker: { persona: session.persona, routes: session.routes, native: opts.native, ...(opts.traceFile ? { traceFile: opts.traceFile } : {}) },
      root: pid,
      rootIs: 'foreign',
      tree: () => listTree(pid),
    });
    finished = true;
    return result;
  } finally {
    await guarded.end(finished ? 'release' : 'kill');
  }
}
