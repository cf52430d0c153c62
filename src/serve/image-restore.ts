/**
 * `cr-shim restore IMG` done by the service for a thin client (src/restore/thin-client.ts), so
 * that neither Node's start, nor the CLI's modules, nor `criu --version`, nor the plan sit
 * between the command and the program's next instruction:
 *
 *   restore-image → the image checks restore makes (src/restore/image-checks.ts), with the
 *                   service's cached criu and session
 *                 → criu restore --leave-stopped --restore-sibling -d: the root is the
 *                   service's child (criu is), every task held stopped
 *                 → a filter and a listener per process (cr-shim-inject)
 *                 → a HandedTree, as after adopt: guarded, vDSO notes, SIGCONT, supervised
 *                 → the root reaped: "exit STATUS"; an error: "failed", the line restore prints
 *
 * criu's stdio is what the in-process restore gives it (stdin /dev/null, stdout and stderr to
 * a pipe that run-criu.ts reads), so the restored tree gets the same descriptors either way:
 * those its image names. A client that goes away changes nothing: the tree is the service's.
 */
import fs from 'node:fs';
import os from 'node:os';
import { ShimError, UsageError } from '../errors.js';
import type { CriuBinary } from '../criu/binary.js';
import { readPstree } from '../criu/image/pstree.js';
import { injectFilter } from '../inject/injector.js';
import { killTree } from '../inject/tree.js';
import { sys } from '../native/libc.js';
import { checkPassThrough } from '../restore/criu-restore.js';
import { assertCriuReads, checkImage } from '../restore/image-checks.js';
import { injectFailed, restoreStopped } from '../restore/restore.js';
import type { Session } from '../supervisor/session.js';
import { shellStatus } from '../supervisor/reaper.js';
import type { HandedTree } from './handed-tree.js';
import type { ImageRestoreSpec, RemoteFailure, Reply } from './protocol.js';
import { recordPhase, timed, wallMs } from '../phase-trace.js';

const WNOHANG = 1;
/** How long the root (the service's child) may take to be reaped once its tree is gone, as superviseTree waits. */
const ROOT_REAP_MS = 1000;
/** The signals that stop the CRIU phase, as the in-process watchdog's (src/restore/watchdog.ts). */
const STOPPING = new Set(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'].map((s) => os.constants.signals[s as NodeJS.Signals]));

export interface ImageRestoreDeps {
  /** The criu to run (--criu or the client's $CR_SHIM_CRIU, else the service's), located once. */
  criu(explicit: string | undefined): Promise<CriuBinary>;
  /** The cached session for a release. Throws UsageError for a release that has no table. */
  session(release: string, ioUring: boolean): Session;
  /** A tree registered with the service as adopt registers one; `addListener` also records the process. */
  adopt(session: Session, notice: (line: string) => void): { tree: HandedTree; addListener(pid: number, fd: number): void; resumed(): void };
  /** A line for the client's stderr. */
  notice(line: string): void;
}

/** An error as the client rebuilds it (protocol.ts: RemoteFailure). */
export function remoteFailure(err: unknown): RemoteFailure {
  if (!(err instanceof ShimError)) return { op: 'internal', message: String((err as Error)?.message ?? err), kind: 'internal' };
  return {
    op: err.op,
    message: err.message,
    ...(err.hint !== undefined ? { hint: err.hint } : {}),
    ...(err.code !== undefined ? { code: err.code } : {}),
    ...(err.exitStatus !== undefined ? { exitStatus: err.exitStatus } : {}),
    ...(err instanceof UsageError ? { kind: 'usage' as const } : {}),
  };
}

/** The image's processes that CRIU left as this service's children (a restore stopped half-way). */
function partialTree(imgDir: string): number[] {
  let pids: number[];
  try {
    pids = readPstree(imgDir).map((e) => e.pid);
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    try {
      return Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) === process.pid;
    } catch {
      return false;
    }
  });
}

/**
 * Reap the service's children among `pids` once SIGKILL has ended them (each within `ms`): a
 * zombie nobody waits for would hold its pid, and the image's next restore needs it.
 */
async function reapKilled(pids: readonly number[], ms = ROOT_REAP_MS): Promise<void> {
  const left = new Set(pids);
  const wstatus = [0];
  const deadline = Date.now() + ms;
  while (left.size > 0 && Date.now() < deadline) {
    for (const pid of left) if (sys.waitpid(pid, wstatus, WNOHANG) !== 0) left.delete(pid);
    if (left.size > 0) await new Promise((r) => setTimeout(r, 5));
  }
}

export class ImageRestore {
  private readonly abort = new AbortController();
  private stopSignal: number | undefined;
  private readonly held: number[] = [];
  private root: number | undefined;
  private running = false;

  constructor(
    private readonly spec: ImageRestoreSpec,
    private readonly deps: ImageRestoreDeps,
  ) {}

  /**
   * The client's signal: during CRIU a stopping one ends the restore and kills the partial tree
   * (as the in-process watchdog); once the tree runs it goes to the root; in between it waits.
   */
  signal(n: number): void {
    if (this.running && this.root !== undefined) {
      sys.kill(this.root, n);
    } else if (this.root === undefined && STOPPING.has(n)) {
      this.stopSignal ??= n;
      this.abort.abort();
    } else {
      this.held.push(n);
    }
  }

  /** Restore and supervise until the root is gone: the reply that ends the request. */
  async run(): Promise<Reply> {
    try {
      return { kind: 'exit', status: await this.restoreAndWait() };
    } catch (err) {
      return { kind: 'failed', failure: remoteFailure(err) };
    }
  }

  private stopped(cause: unknown): ShimError {
    const name = Object.entries(os.constants.signals).find(([, v]) => v === this.stopSignal)?.[0] ?? String(this.stopSignal);
    return new ShimError('restore', `stopped by ${name} while criu restored the image; the partially restored tree was killed`, {
      cause,
      code: 'EINTR',
      exitStatus: 128 + this.stopSignal!,
    });
  }

  private async restoreAndWait(): Promise<number> {
    const { spec, deps } = this;
    recordPhase('serve: request received', wallMs());
    checkPassThrough(spec.criuArgs);
    const locating = deps.criu(spec.criu);
    locating.catch(() => undefined);
    const { manifest, choice } = timed('serve: image checks', () => checkImage(spec.dir, spec.kernel, deps.notice));
    const session = timed('serve: session (cached)', () => deps.session(choice.release, spec.ioUring));
    for (const n of session.notices) deps.notice(n);
    const criu = await timed('serve: criu located (cached)', () => locating);
    timed('serve: criu reads the image', () => assertCriuReads(criu, manifest, spec.dir));

    const { tree, addListener, resumed } = timed('serve: tree and worker', () => deps.adopt(session, deps.notice));
    // The guard comes up while criu restores, off the held tree's downtime.
    tree.startGuard();
    let root: number;
    try {
      root = await restoreStopped({ imgDir: spec.dir, criuArgs: spec.criuArgs, limits: spec.limits, notice: deps.notice }, criu.path, this.abort.signal);
      if (this.stopSignal !== undefined) throw new Error('stopped');
    } catch (err) {
      // SIGKILL ends a task in group-stop or ptrace-stop before it runs another instruction.
      const partial = partialTree(spec.dir);
      killTree(partial);
      await reapKilled(partial);
      await tree.kill('criu restore failed');
      throw this.stopSignal !== undefined ? this.stopped(err) : err;
    }
    this.root = root;
    const reaped = this.reaper(root);
    try {
      let injected;
      try {
        injected = await timed('serve: inject', () => injectFilter({ pids: [root], descendants: true, filter: session.filter }));
      } catch (err) {
        await tree.kill('its injection failed');
        throw injectFailed(err, root, spec.dir);
      }
      for (const l of injected.listeners) addListener(l.pid, l.fd);
      // Guards, writes the vDSO notes, resumes; kills the tree and throws when it cannot.
      await timed('serve: resume', () => tree.resume(root, 'stopped'));
      this.running = true;
      resumed();
      for (const n of this.held.splice(0)) sys.kill(root, n);
      const why = await tree.gone;
      if (why !== undefined) throw new ShimError('supervise', `cr-shim serve: the tree was killed: ${why}`, { code: 'ECONNRESET' });
      const status = await Promise.race([reaped.status, new Promise<undefined>((r) => setTimeout(r, ROOT_REAP_MS))]);
      if (status === undefined) {
        deps.notice(`restore: the exit status of process ${root} could not be read`);
        return 0;
      }
      return status;
    } catch (err) {
      // The tree was killed on the way (injection, guard or loop failed): its root is our zombie.
      reaped.dispose();
      await reapKilled([root]);
      throw err;
    } finally {
      reaped.dispose();
    }
  }

  /** The root's shell status once it exits (it is the service's child: nobody else waits for it). */
  private reaper(root: number): { status: Promise<number>; dispose(): void } {
    let resolve: (status: number) => void = () => undefined;
    const status = new Promise<number>((r) => (resolve = r));
    const wstatus = [0];
    const onChld = () => {
      if (sys.waitpid(root, wstatus, WNOHANG) === root) resolve(shellStatus(wstatus[0]!));
    };
    process.on('SIGCHLD', onChld);
    onChld();
    return { status, dispose: () => process.off('SIGCHLD', onChld) };
  }
}
