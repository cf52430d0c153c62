/**
 * A tree `cr-shim restore` or `cr-shim attach` handed over to `cr-shim serve` (client.ts is the
 * other side):
 *
 *   adopt    → the session's filter goes back to the CLI, which injects it; a worker starts
 *              loading meanwhile (the CLI restores or injects while it does)
 *   listener → one process's listener, kept until resume
 *   resume   → every task into a guarded cgroup of its own (tree-guard.ts: this service's death
 *              kills it), the listeners to the worker, then, after a restore, SIGCONT
 *   gone     → every listener hung up: the guard is released and the record removed
 *
 * Until resume the tree belongs to the CLI's connection: a CLI that goes away before it
 * killed what it restored; after resume the tree is the service's, whoever waits for it.
 */
import { closeSync } from 'node:fs';
import { ShimError } from '../errors.js';
import { killTree, listTree } from '../inject/tree.js';
import { vdsoNotesCall, writeVdsoNotes } from '../inject/vdso-note.js';
import { sys } from '../native/libc.js';
import type { Session } from '../supervisor/session.js';
import { guardSupervisedTree, guardTree, superviseInGuard, type GuardedTree, type TreeGuard } from '../supervisor/tree-guard.js';
import { prestartWorker, type PendingWorker, type SupervisorWorker } from '../supervisor/worker-thread.js';
import type { ResumeMode } from './protocol.js';
import { timed } from '../phase-trace.js';

const SIGCONT = 18;

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Taken (and closed) by a worker that failed after it got them.
  }
}

export class HandedTree {
  private readonly pending: PendingWorker;
  private readonly listeners: { pid: number; fd: number }[] = [];
  private worker: SupervisorWorker | undefined;
  private guarded: GuardedTree | undefined;
  /** The guard started ahead (startGuard), before the tree it will hold exists. */
  private early: Promise<TreeGuard> | undefined;
  private root: number | undefined;
  private ended = false;
  /** The loop returned (its handle is let go): only the thread is left to end. */
  private loopEnded = false;
  private onGone: (why: string | undefined) => void = () => undefined;
  /** Resolves once the tree is gone: undefined when it ended on its own, else why it was killed. */
  readonly gone: Promise<string | undefined>;
  resumed = false;

  /** `pending`: a worker started for this session already (the service keeps one spare); else one starts now. */
  constructor(readonly sid: string, readonly session: Session, private readonly onNotice: (line: string) => void = () => undefined, pending?: PendingWorker) {
    this.pending = pending ?? prestartWorker({ persona: session.persona, routes: session.routes, native: true, planAhead: true });
    this.gone = new Promise((resolve) => (this.onGone = resolve));
  }

  /**
   * Start the guard now, before the tree exists (a restore: while criu restores it), so that
   * resume() only hands it the listeners and moves the tree in: its spawn and start (tens of ms
   * under load, on the service's main thread) leave the held tree's downtime.
   */
  startGuard(): void {
    this.early ??= timed('guard: cgroup and guard process (ahead)', () => guardTree(this.sid));
    this.early.catch(() => undefined);
  }

  /** One process's listener; ours to close from now on. */
  addListener(pid: number, fd: number): void {
    this.listeners.push({ pid, fd });
  }

  processes(): number[] {
    const pids = new Set(this.listeners.map((l) => l.pid));
    if (this.root !== undefined) for (const p of listTree(this.root)) pids.add(p);
    return [...pids];
  }

  /**
   * Guard, supervise and (mode 'stopped') resume the tree rooted at `root`. Throws ShimError after
   * killing the tree when it cannot be supervised.
   */
  async resume(root: number, mode: ResumeMode): Promise<void> {
    if (this.resumed) throw new ShimError('resume', `tree ${this.sid} is supervised already`, { code: 'EALREADY' });
    if (this.listeners.length === 0) throw new ShimError('resume', `tree ${this.sid} handed over no listener`, { code: 'EINVAL' });
    this.root = root;
    this.resumed = true;
    const fds = this.listeners.map((l) => l.fd);
    const failed = async (err: unknown): Promise<never> => {
      await this.kill(`it could not be supervised: ${(err as Error).message}`);
      throw err;
    };
    // The worker takes the listeners (in its own thread), the guard process starts (it takes
    // copies of the listeners as it is spawned, which blocks this thread for a fork) and the vDSO
    // notes are written, all at once: one after the other, each cost the held tree a few tens of
    // ms (bench: downtime). The listeners go to the worker first, so that it works during the
    // fork. The worker owns ours from then on; if it fails it closes them, and the tree is
    // killed below whatever the guard got.
    const attaching = timed('resume: worker takes the listeners', () => this.pending.attach(fds));
    attaching.catch(() => undefined);
    const guarding = timed('resume: guard (start, adopt, record)', async () =>
      this.early === undefined
        ? guardSupervisedTree(root, () => this.processes(), this.session.persona, this.session.filter, fds, this.sid)
        : superviseInGuard(await this.early, root, () => this.processes(), this.session.persona, this.session.filter, fds, this.sid),
    );
    guarding.catch(() => undefined);
    // The persona's vDSO note (and, held after a restore, READ_IMPLIES_EXEC) before any task runs
    // on. A helper that makes the tasks call personality() waits for the worker, whose loop
    // answers it; one that only writes their memory runs now, beside the guard (both leave the
    // held tasks as they are).
    const held = mode === 'stopped';
    const notes = () => timed('resume: vDSO notes', () => writeVdsoNotes(this.session, this.processes(), { held }));
    let vdso = vdsoNotesCall(this.session, { held }) ? undefined : notes();
    try {
      this.worker = await attaching;
    } catch (err) {
      await vdso;
      this.guarded = await guarding.catch(() => undefined);
      return failed(err);
    }
    vdso ??= notes();
    try {
      // Still stopped after a restore: every task is in the guarded cgroup before any runs.
      this.guarded = await guarding;
    } catch (err) {
      await vdso;
      return failed(err);
    }
    const vdsoFailed = await vdso;
    if (vdsoFailed) this.onNotice(`tree ${this.sid}: ${vdsoFailed}`);
    if (mode === 'stopped') timed('resume: SIGCONT', () => { for (const p of this.processes()) sys.kill(p, SIGCONT); });
    this.worker.done.then(
      (done) => {
        this.loopEnded = true;
        void (done.error === undefined ? this.finish(undefined) : this.kill(`the notification loop failed: ${done.error}`));
      },
      (err: unknown) => {
        this.loopEnded = true;
        void this.kill(`the supervisor thread failed: ${String(err)}`);
      },
    );
  }

  /** Kill the tree (a tree may not run on unsupervised) and release everything; once. */
  async kill(why: string): Promise<void> {
    if (this.ended) return;
    killTree(this.processes());
    await this.finish(why);
  }

  private async finish(why: string | undefined): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (this.worker !== undefined) {
      await (this.loopEnded ? this.worker.worker.terminate() : this.worker.stop()).catch(() => undefined);
    } else {
      await this.pending.cancel();
      for (const l of this.listeners) closeQuietly(l.fd);
    }
    if (this.guarded !== undefined) await this.guarded.end(why === undefined ? 'release' : 'kill');
    // Started ahead but never given the tree (criu or the injection failed): nothing to keep.
    else await this.early?.then((g) => g.release('kill'), () => undefined);
    this.onGone(why);
  }
}
