/**
 * `cr-shim serve`: the supervisor service that CRIU's cr-shim plugin
 * (native/criu-plugin.c) talks to, so that checkpoints and restores made by
 * container engines keep their trees under the shim with no cr-shim process
 * in the engine's path. The protocol is in protocol.ts.
 *
 *   dump     → is the tree supervised (a record in /run/cr-shim, supervised-record.ts)?
 *   dumped   → cr-shim.json written into the fresh image; cr-shim's own filter, which CRIU
 *              saved without its listener, dropped from seccomp.img (convert.ts)
 *   restore  → the image's persona (its cr-shim.json) or, for a plain image, the host's
 *              policy (policy.ts: per container, else --plain; `image` reads the kernel from the
 *              image's vDSO note): the filter to inject, or none
 *   listener → one restored process's listener joins its restore's notification loop
 *              (the first starts the loop, the others are added to it)
 *   end      → CRIU's verdict: a failed restore's processes are killed
 *
 * Each restore is one served tree with one loop; the loop ends when every
 * process of the tree is gone. Trees are killed in one place (served-trees.ts).
 *
 * `cr-shim attach` hands its tree over with adopt, listener, resume and wait (handed-tree.ts);
 * `cr-shim restore` asks for the whole restore with restore-image (image-restore.ts) and waits
 * for the root's status. Only root may connect (the socket is 0600, and SO_PEERCRED is checked
 * before any request is read).
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { ShimError } from '../errors.js';
import type { Session } from '../supervisor/session.js';
import { writeVdsoNotes } from '../inject/vdso-note.js';
import { convertImageInPlace, requiredConversions } from '../criu/convert.js';
import { manifestFor } from '../criu/dump.js';
import { readManifest, writeManifest } from '../criu/manifest.js';
import { assertNoStaleNotify } from '../criu/stale-listeners.js';
import { strictThreadsOf } from '../criu/image/seccomp.js';
import { findSupervision, recordSupervised } from '../criu/supervised-record.js';
import { loadNotifyAddon } from '../native/addon.js';
import { chooseKernel } from '../criu/source-kernel.js';
import { sys } from '../native/libc.js';
import { prestartWorker, startWorker, type PendingWorker, type SupervisorWorker } from '../supervisor/worker-thread.js';
import { formatReply, HAND_OVER_VERSION, parseRequest, type ImageRestoreSpec, type Reply, type Request } from './protocol.js';
import { HandedTree } from './handed-tree.js';
import { guardPluginTree } from './plugin-tree-guard.js';
import type { GuardedTree } from '../supervisor/tree-guard.js';
import { listTree } from '../inject/tree.js';
import { ServedTrees } from './served-trees.js';
import { containerIdentity } from './container-identity.js';
import { decidePlain, type PlainPolicy, type PolicyFile } from './policy.js';
import { imageKernel } from '../criu/image-kernel.js';
import { readPstree } from '../criu/image/pstree.js';
import { SeqpacketServer, type Packet, type SeqpacketConnection } from './seqpacket.js';
import { ImageRestore } from './image-restore.js';
import { locateCriu, type CriuBinary } from '../criu/binary.js';
import fs from 'node:fs';

export interface ServeOptions {
  socketPath: string;
  /** What a restore of an image without cr-shim.json gets when no policy rule says otherwise. */
  plain: PlainPolicy;
  /** --policy FILE, validated. */
  policy?: PolicyFile;
  /** Builds the session for a release (src/supervisor/session.ts); cached per release and io_uring choice here. */
  prepare: (release: string, ioUring: boolean) => Session;
  /** The CRIU version recorded in manifests. */
  criuVersion: () => Promise<string>;
  notice: (line: string) => void;
}

interface Restoring {
  sid: string;
  dir: string;
  session: Session;
  /** The tree's loop, starting or started (by the first listener). */
  worker?: Promise<SupervisorWorker>;
  root?: number;
  /** Once CRIU said the restore succeeded: the guard (plugin-tree-guard.ts), which also records the tree. */
  guard?: Promise<GuardedTree | undefined>;
}

export class Service {
  private readonly sessions = new Map<string, Session>();
  /**
   * One worker per session started ahead, idle until a handed tree takes it: loading the
   * supervisor's modules in a fresh worker costs ~0.1 s of CPU, which on a busy machine would
   * otherwise compete with criu restore for the cores (npm run bench: downtime).
   */
  private readonly spares = new Map<Session, PendingWorker>();
  private readonly restores = new Map<string, Restoring>();
  private readonly handed = new Map<string, HandedTree>();
  private readonly trees = new ServedTrees();
  private readonly connections = new Set<SeqpacketConnection>();
  /** criu located and vetted once per --criu path ('' for the service's own choice), with its file's identity. */
  private readonly criuBinaries = new Map<string, { binary: Promise<CriuBinary>; stamp?: string }>();
  private server: SeqpacketServer | undefined;
  private stopping = false;

  constructor(private readonly opts: ServeOptions) {}

  /** Listen and serve until stop(). Throws KernelError when the socket cannot be bound. */
  async run(): Promise<void> {
    this.server = SeqpacketServer.listen(this.opts.socketPath);
    if (this.opts.plain.kind === 'release') this.warm(this.opts.plain.release);
    // The service's own criu, located and vetted now rather than by the first restore-image
    // whose client names none (`criu --version`: 0.1 s, more on a loaded machine). A failure
    // here is forgotten; that restore locates it again and reports it.
    this.criu(undefined).catch(() => undefined);
    const plain = { none: 'restored as they are', image: "under the kernel their vDSO names", release: `under ${this.opts.plain.kind === 'release' ? this.opts.plain.release : ''}` }[this.opts.plain.kind];
    this.opts.notice(`serving on ${this.opts.socketPath} (plain images: ${plain}${this.opts.policy ? `, unless one of the policy's ${this.opts.policy.rules.length} rules says otherwise` : ''})`);
    for (let c = await this.server.accept(); c !== null; c = await this.server.accept()) {
      const peer = this.rootPeer(c);
      if (peer === undefined) continue;
      this.connections.add(c);
      void this.serveConnection(c, peer).finally(() => {
        this.connections.delete(c);
        c.close();
      });
    }
  }

  /** Stop accepting, kill every served tree (they may not run on unsupervised), close the socket. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.server?.close();
    for (const c of this.connections) c.close();
    await this.trees.killAll();
    await Promise.all([...this.restores.values()].map(async (r) => (await r.guard)?.end('kill')));
    await Promise.all([...this.spares.values()].map((w) => w.cancel()));
    this.spares.clear();
  }

  /** The spare worker for `session`, or one started now. */
  private takeWorker(session: Session): PendingWorker {
    const spare = this.spares.get(session);
    this.spares.delete(session);
    return spare ?? prestartWorker({ persona: session.persona, routes: session.routes, native: true, planAhead: true });
  }

  /** Start `session`'s next spare once the event loop is free (after the tree that took the last one runs). */
  private replenish(session: Session): void {
    setImmediate(() => {
      if (!this.stopping && !this.spares.has(session)) this.spares.set(session, prestartWorker({ persona: session.persona, routes: session.routes, native: true, planAhead: true }));
    });
  }

  /**
   * Only root hands listeners over or asks for a filter: the socket's mode says so, the peer's
   * credentials check it. The peer's pid, or undefined when the connection was refused (closed).
   */
  private rootPeer(c: SeqpacketConnection): number | undefined {
    let peer;
    try {
      peer = c.peer();
    } catch {
      peer = { uid: -1, pid: 0 };
    }
    if (peer.uid === 0) return peer.pid;
    this.opts.notice(`a connection from uid ${peer.uid} was refused: only root is served`);
    c.close();
    return undefined;
  }

  /** How many trees are served now. */
  get served(): number {
    return this.trees.size;
  }

  /**
   * Build `release`'s session once the current reply is out, so that the restore that is
   * likely to follow does not pay for it (the plan and BPF compile take a while in Node).
   */
  private warm(release: string): void {
    setImmediate(() => {
      try {
        this.replenish(this.session(release));
      } catch (err) {
        this.opts.notice(`preparing ${release}: ${(err as Error).message}`);
      }
    });
  }

  /** Build (once per release and io_uring choice) what a restore under `release` needs. */
  session(release: string, ioUring = false): Session {
    const key = `${release}${ioUring ? ' io-uring' : ''}`;
    let s = this.sessions.get(key);
    if (s === undefined) {
      s = this.opts.prepare(release, ioUring);
      this.sessions.set(key, s);
    }
    return s;
  }

  private async serveConnection(c: SeqpacketConnection, peer: number): Promise<void> {
    // Trees this connection adopted: until resumed they are its, and die with it.
    const adopted = new Set<string>();
    try {
      await this.serveRequests(c, adopted, peer);
    } finally {
      for (const sid of adopted) {
        const t = this.handed.get(sid);
        // A resumed tree stays served (in this.trees) whoever waits for it.
        this.handed.delete(sid);
        if (t !== undefined && !t.resumed) await t.kill('its cr-shim went away before handing it over');
      }
    }
  }

  private async serveRequests(c: SeqpacketConnection, adopted: Set<string>, peer: number): Promise<void> {
    // This connection's restore-image: its replies go out as they come, and signals reach it meanwhile.
    let imageRestore: ImageRestore | undefined;
    for (let p = await c.recv(); p !== null; p = await c.recv()) {
      const early = parseRequest(p.data);
      if (typeof early !== 'string' && (early.verb === 'restore-image' || early.verb === 'signal')) {
        for (const fd of p.fds) sys.close(fd);
        if (early.verb === 'signal') {
          imageRestore?.signal(early.signal);
          continue;
        }
        if (early.version !== HAND_OVER_VERSION || imageRestore !== undefined) {
          const why = imageRestore !== undefined ? 'one restore per connection' : `hand-over version ${early.version} is not served (this service speaks ${HAND_OVER_VERSION})`;
          if (!c.send(formatReply({ kind: 'error', text: `restore-image: ${why}` }))) return;
          continue;
        }
        imageRestore = this.restoreImage(c, early.spec);
        continue;
      }
      let reply: Reply;
      try {
        reply = await this.handle(p, adopted, peer);
      } catch (err) {
        reply = { kind: 'error', text: err instanceof ShimError ? `${err.op}: ${err.message}` : String(err) };
      } finally {
        // A descriptor nobody took (a bad request) is closed; handle() takes ownership of the one it uses.
        for (const fd of p.fds.slice(1)) sys.close(fd);
      }
      if (reply.kind === 'error') this.opts.notice(reply.text);
      if (!c.send(formatReply(reply))) return;
    }
  }

  /** `peer`: the client's pid (the plugin's is CRIU's). */
  private async handle(p: Packet, adopted: Set<string>, peer: number): Promise<Reply> {
    const req = parseRequest(p.data);
    if (typeof req === 'string') {
      if (p.fds[0] !== undefined) sys.close(p.fds[0]);
      return { kind: 'error', text: req };
    }
    if (req.verb !== 'listener' && p.fds[0] !== undefined) {
      sys.close(p.fds[0]);
      return { kind: 'error', text: `${req.verb}: carries no descriptor` };
    }
    switch (req.verb) {
      case 'dump':
        return this.dump(req);
      case 'dumped':
        return this.dumped(req);
      case 'restore':
        return this.restore(req);
      case 'listener':
        return await this.listener(req, p.fds[0]);
      case 'end':
        return this.end(req, peer);
      case 'adopt':
        return this.adopt(req, adopted);
      case 'resume':
        return this.resume(req);
      case 'wait':
        return this.wait(req);
      case 'restore-image':
      case 'signal':
        return { kind: 'error', text: `${req.verb}: served by the connection` };
    }
  }

  /**
   * Run a thin client's restore (image-restore.ts); its notices and final reply go to `c` while
   * the client is there. The tree is the service's from the start: a client that goes away
   * leaves it restored and supervised.
   */
  private restoreImage(c: SeqpacketConnection, spec: ImageRestoreSpec): ImageRestore {
    const toClient = (line: string) => void c.send(formatReply({ kind: 'notice', text: line }));
    const run = new ImageRestore(spec, {
      criu: (explicit) => this.criu(explicit),
      session: (release, ioUring) => this.session(release, ioUring),
      adopt: (session, notice) => {
        const tree = this.handTree(session, notice);
        const addListener = (pid: number, fd: number): void => {
          tree.addListener(pid, fd);
          this.trees.addProcess(tree.sid, pid);
        };
        return { tree, addListener, resumed: () => this.replenish(session) };
      },
      notice: toClient,
    });
    this.opts.notice(`restore of ${spec.dir} for a cr-shim restore`);
    void run.run().then((reply) => {
      if (reply.kind === 'failed') this.opts.notice(`restore of ${spec.dir}: ${reply.failure.op}: ${reply.failure.message}`);
      c.send(formatReply(reply));
    });
    return run;
  }

  /**
   * The criu for --criu `explicit` (or the service's own), located and vetted once: `criu
   * --version` costs a quarter of a second on a loaded machine. Located again when the file changed.
   */
  private criu(explicit: string | undefined): Promise<CriuBinary> {
    const key = explicit ?? '';
    const stampOf = (file: string): string | undefined => {
      try {
        const st = fs.statSync(file);
        return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        return undefined;
      }
    };
    const cached = this.criuBinaries.get(key);
    if (cached !== undefined && cached.stamp !== undefined) {
      const path = cached.binary;
      return path.then((b) => (stampOf(b.path) === cached.stamp ? b : this.locate(key, explicit, stampOf)));
    }
    return this.locate(key, explicit, stampOf);
  }

  private locate(key: string, explicit: string | undefined, stampOf: (file: string) => string | undefined): Promise<CriuBinary> {
    const entry: { binary: Promise<CriuBinary>; stamp?: string } = { binary: locateCriu(explicit === undefined ? {} : { explicit }) };
    this.criuBinaries.set(key, entry);
    entry.binary.then(
      (b) => (entry.stamp = stampOf(b.path)),
      () => this.criuBinaries.delete(key),
    );
    return entry.binary;
  }

  private adopt(req: Request & { verb: 'adopt' }, adopted: Set<string>): Reply {
    if (req.version !== HAND_OVER_VERSION) return { kind: 'error', text: `adopt: hand-over version ${req.version} is not served (this service speaks ${HAND_OVER_VERSION})` };
    const tree = this.handTree(this.session(req.release, req.ioUring), (line) => this.opts.notice(line));
    this.handed.set(tree.sid, tree);
    adopted.add(tree.sid);
    return { kind: 'filter', sid: tree.sid, filter: tree.session.filter };
  }

  /** A handed tree, registered: served (killed when the service stops) until it is gone. */
  private handTree(session: Session, notice: (line: string) => void): HandedTree {
    const sid = `h${randomBytes(8).toString('hex')}`;
    const tree = new HandedTree(sid, session, notice, this.takeWorker(session));
    this.trees.add(sid, () => tree.kill('the service stopped'));
    // Still looked up by a later wait until its connection ends.
    void tree.gone.then((why) => {
      this.trees.remove(sid);
      if (why !== undefined) this.opts.notice(`tree ${sid} was killed: ${why}`);
    });
    return tree;
  }

  private async resume(req: Request & { verb: 'resume' }): Promise<Reply> {
    const t = this.handed.get(req.sid);
    if (t === undefined) return { kind: 'error', text: `resume: no tree ${req.sid}` };
    await t.resume(req.root, req.mode);
    this.replenish(t.session);
    this.opts.notice(`supervising tree ${req.sid} (root ${req.root}) under ${t.session.persona.release}`);
    return { kind: 'ok' };
  }

  private async wait(req: Request & { verb: 'wait' }): Promise<Reply> {
    const t = this.handed.get(req.sid);
    if (t === undefined) return { kind: 'error', text: `wait: no tree ${req.sid}` };
    const why = await t.gone;
    return why === undefined ? { kind: 'gone' } : { kind: 'error', text: `the tree was killed: ${why}` };
  }

  private dump(req: Request & { verb: 'dump' }): Reply {
    const s = findSupervision(req.pid);
    return s === undefined ? { kind: 'plain' } : { kind: 'shimmed', release: s.persona.release };
  }

  private async dumped(req: Request & { verb: 'dumped' }): Promise<Reply> {
    const supervision = findSupervision(req.pid);
    if (supervision === undefined) return { kind: 'error', text: `process ${req.pid} is no longer under cr-shim: ${req.dir} was not recorded` };
    const notices: string[] = [];
    const { manifest } = manifestFor(req.dir, supervision, await this.opts.criuVersion(), { pid: req.pid, criuArgs: [] }, notices);
    writeManifest(req.dir, manifest);
    const drop = requiredConversions(req.dir).filter((c) => c.kind === 'drop-shim-filter');
    const { applied } = convertImageInPlace(req.dir, drop);
    for (const n of [...notices, ...applied]) this.opts.notice(`dump of ${req.pid} into ${req.dir}: ${n}`);
    this.warm(supervision.persona.release);
    return { kind: 'ok' };
  }

  private restore(req: Request & { verb: 'restore' }): Reply {
    const manifest = readManifest(req.dir);
    // Never restored into ENOSYS, as `cr-shim restore` refuses: an image that still carries a
    // USER_NOTIF filter whose listener is gone (a dump whose "dumped" never reached us, so
    // cr-shim's filter was not dropped) fails the restore, plain or not.
    try {
      assertNoStaleNotify(req.dir, manifest?.shimFilter?.sha256);
    } catch (err) {
      if (!(err instanceof ShimError)) throw err;
      this.opts.notice(`restore of ${req.dir}: refused: ${err.message}`);
      return { kind: 'error', text: err.message };
    }
    let release: string;
    let plainWhy = '';
    if (manifest === undefined) {
      const plain = this.plainRelease(req.dir);
      if (plain.release === undefined) {
        this.opts.notice(`restore of ${req.dir}: a plain image restored as it is (${plain.why})`);
        return { kind: 'plain' };
      }
      release = plain.release;
      plainWhy = ` (a plain image: ${plain.why})`;
    } else {
      release = chooseKernel(undefined, manifest, os.release(), req.dir).release;
    }
    // A strict thread takes no filter, and nothing can be injected into it; `cr-shim restore` converts
    // such threads in a copy (strict-to-filter), but here CRIU restores the engine's own image as it
    // is, strict mode included, before the plugin gets the tasks. Refused, with the way out.
    const strict = strictThreadsOf(req.dir);
    if (strict.length > 0) {
      const text =
        `${req.dir}: thread ${strict.join(', ')} ${strict.length === 1 ? 'is' : 'are'} in SECCOMP_MODE_STRICT, which refuses cr-shim's filter, and the CRIU plugin restores the image as it is; ` +
        'convert it first (cr-shim convert IMG OUT gives strict threads an equivalent filter) and restore OUT, or restore it with cr-shim restore';
      this.opts.notice(`restore of ${req.dir}: refused: ${text}`);
      return { kind: 'error', text };
    }
    const session = this.session(release);
    const sid = `r${randomBytes(8).toString('hex')}`;
    this.restores.set(sid, { sid, dir: req.dir, session });
    this.opts.notice(`restore of ${req.dir}: under ${session.persona.release}${plainWhy}`);
    return { kind: 'filter', sid, filter: session.filter };
  }

  /** The release a plain image is restored under, or none; and why (for the notice). */
  private plainRelease(dir: string): { release?: string; why: string } {
    const decided = decidePlain(this.opts.policy, containerIdentity(dir), this.opts.plain);
    const p = decided.policy;
    if (p.kind === 'none') return { why: decided.why };
    if (p.kind === 'release') return { release: p.release, why: decided.why };
    let found;
    try {
      found = imageKernel(dir, readPstree(dir));
    } catch (err) {
      found = { reason: (err as Error).message };
    }
    if (!('code' in found)) return { why: `${decided.why}: the image names no kernel (${found.reason})` };
    // Taken on this very kernel: there is nothing older to present.
    if (os.release().startsWith(found.release) && /^([.+-]|$)/.test(os.release().slice(found.release.length))) {
      return { why: `${decided.why}: the image's vDSO names this host's kernel ${found.release}` };
    }
    return { release: found.release, why: `${decided.why}: the image's vDSO names Linux ${found.release}` };
  }

  private async listener(req: Request & { verb: 'listener' }, fd: number | undefined): Promise<Reply> {
    if (fd === undefined) return { kind: 'error', text: 'listener: no descriptor came with it' };
    const h = this.handed.get(req.sid);
    if (h !== undefined && !h.resumed) {
      h.addListener(req.pid, fd);
      this.trees.addProcess(req.sid, req.pid);
      return { kind: 'ok' };
    }
    const r = this.restores.get(req.sid);
    if (r === undefined) {
      sys.close(fd);
      return { kind: 'error', text: `listener: no restore ${req.sid}` };
    }
    // CRIU still holds the process (the plugin hands its listener over from RESUME_DEVICES_LATE):
    // its vDSO note is the persona's before it runs on, as after `cr-shim restore`. Not
    // READ_IMPLIES_EXEC: that needs a ptrace stop of our own, which CRIU's hold rules out.
    const vdso = await writeVdsoNotes(r.session, [req.pid], { held: false });
    if (vdso) this.opts.notice(`restore of ${r.dir}: process ${req.pid}: ${vdso}`);
    // The reply does not wait for the loop: the listener is ours, so the kernel holds the
    // process's trapped calls until the loop reads them, and CRIU goes on meanwhile. A loop
    // that cannot start kills the tree (treeFailed), as a failed one does.
    if (r.worker === undefined) {
      r.root = req.pid;
      const started = startWorker({ persona: r.session.persona, routes: r.session.routes, native: true }, [fd]);
      r.worker = started;
      this.trees.add(r.sid, async () => (await started.catch(() => undefined))?.stop());
      started.then(
        (worker) =>
          void worker.done.then(
            (done) => (done.error === undefined ? this.treeGone(r) : this.treeFailed(r, done.error)),
            (err: unknown) => this.treeFailed(r, String(err)),
          ),
        (err: unknown) => {
          sys.close(fd);
          this.treeFailed(r, String(err));
        },
      );
    } else {
      r.worker.then(
        (w) => loadNotifyAddon().addListener(w.handle, fd),
        () => sys.close(fd),
      ).catch((err: unknown) => {
        sys.close(fd);
        this.treeFailed(r, String(err));
      });
    }
    this.trees.addProcess(r.sid, req.pid);
    return { kind: 'ok' };
  }

  private async end(req: Request & { verb: 'end' }, criu: number): Promise<Reply> {
    const r = this.restores.get(req.sid);
    if (r === undefined) return { kind: 'error', text: `end: no restore ${req.sid}` };
    if (req.ret !== 0) {
      this.opts.notice(`restore of ${r.dir} failed in CRIU (${req.ret}): its processes are killed`);
      this.restores.delete(r.sid);
      await this.trees.kill(r.sid);
      return { kind: 'ok' };
    }
    // If the service dies the tree dies (plugin-tree-guard.ts), and a later dump (through the plugin or
    // cr-shim dump) finds which persona and which filter are ours. Not awaited: CRIU, and the
    // engine's restore, wait for this reply; the tree is filtered meanwhile.
    const root = r.root;
    if (root !== undefined) {
      r.guard = guardPluginTree(root, () => [...new Set([...this.trees.processes(r.sid), ...listTree(root)])], [criu], r.session.persona, r.session.filter, r.sid).catch((err: unknown) => {
        this.treeFailed(r, `it could not be guarded: ${(err as Error).message}`);
        return undefined;
      });
    }
    return { kind: 'ok' };
  }

  private treeGone(r: Restoring): void {
    void r.guard?.then((g) => g?.end('release'));
    this.restores.delete(r.sid);
    this.trees.remove(r.sid);
  }

  private treeFailed(r: Restoring, why: string): void {
    this.opts.notice(`the notification loop of ${r.dir} failed (${why}): its processes are killed`);
    void r.guard?.then((g) => g?.end('kill'));
    this.restores.delete(r.sid);
    void this.trees.kill(r.sid);
  }
}
