/**
 * The CLI's side of the hand-over to `cr-shim serve` (service.ts and handed-tree.ts are the
 * other): adopt → the filter to inject; one listener message per process with its fd
 * (SCM_RIGHTS); resume; wait until the tree is gone. Requests and replies are protocol.ts's.
 *
 * The service is trusted with live processes, so only root's is used, checked before anything
 * is sent: the socket file is root's, its directory is root's and writable by nobody else (so
 * the file cannot be swapped between the check and connect), and the process at the other end
 * runs as uid 0 (SO_PEERCRED, which the kernel records at the server's listen()).
 */
import fs from 'node:fs';
import path from 'node:path';
import { KernelError, ShimError, UsageError } from '../errors.js';
import { formatRequest, HAND_OVER_VERSION, parseReply, type ImageRestoreSpec, type RemoteFailure, type Reply, type Request, type ResumeMode } from './protocol.js';
import { SeqpacketConnection } from './seqpacket.js';

/** connect(2) errors that mean nobody serves there: not an error, today's behaviour goes on. */
const NOBODY = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTDIR']);

/** Why a socket that is there is not used. */
export interface Refusal {
  refused: string;
}

/** Is `socket` safe to hand processes to? A Refusal saying why not, undefined when nothing is there. */
function checkSocketFile(socket: string): Refusal | undefined | 'ok' {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socket);
  } catch {
    return undefined;
  }
  if (!st.isSocket()) return { refused: `${socket} is not a socket` };
  if (st.uid !== 0) return { refused: `${socket} is owned by uid ${st.uid}, not root` };
  const dir = path.dirname(socket);
  const d = fs.statSync(dir);
  if (d.uid !== 0 || (d.mode & 0o022) !== 0) {
    return { refused: `${socket} is in ${dir}, which ${d.uid !== 0 ? `uid ${d.uid} owns` : 'others may write'}; only a root-only directory is trusted` };
  }
  return 'ok';
}

/**
 * The trusted service on `socket`, or undefined after saying why the caller supervises itself:
 * silence when nobody listens on the default socket, a notice when a named one is silent or
 * when the one that answers is not trusted (connect's checks).
 */
export function connectOrSay(socket: string, named: boolean, notice: (line: string) => void): ServiceClient | undefined {
  const client = ServiceClient.connect(socket);
  if (client === undefined) {
    if (named) notice(`no cr-shim serve answers on ${socket}: supervising here`);
    return undefined;
  }
  if (!(client instanceof ServiceClient)) {
    notice(`not handing over to ${socket}: ${client.refused}; supervising here`);
    return undefined;
  }
  return client;
}

export class ServiceClient {
  private constructor(
    private readonly conn: SeqpacketConnection,
    readonly socket: string,
    /** The service's pid (SO_PEERCRED): attach must not inject it or its ancestors. */
    readonly servicePid: number,
  ) {}

  /**
   * Connect to root's service at `socket`: a client, undefined when nobody listens there, or a
   * Refusal when something does that is not to be trusted. Sends nothing.
   */
  static connect(socket: string): ServiceClient | Refusal | undefined {
    const file = checkSocketFile(socket);
    if (file !== 'ok') return file;
    let conn: SeqpacketConnection;
    try {
      conn = SeqpacketConnection.connect(socket);
    } catch (err) {
      if (err instanceof KernelError && NOBODY.has(String(err.code))) return undefined;
      return { refused: (err as Error).message };
    }
    try {
      const peer = conn.peer();
      if (peer.uid !== 0) {
        conn.close();
        return { refused: `the process serving ${socket} (pid ${peer.pid}) runs as uid ${peer.uid}, not root` };
      }
      return new ServiceClient(conn, socket, peer.pid);
    } catch (err) {
      conn.close();
      return { refused: (err as Error).message };
    }
  }

  /** One request and its reply; null when the service hung up. Throws ShimError on a reply that is not one. */
  private async request(req: Request, fds: readonly number[] = []): Promise<Reply | null> {
    if (!this.conn.send(formatRequest(req), fds)) return null;
    const p = await this.conn.recv();
    if (p === null) return null;
    const reply = parseReply(p.data);
    if (typeof reply === 'string') throw new ShimError('cr-shim serve', `${this.socket} answered ${req.verb} with ${reply}`, { code: 'EPROTO' });
    return reply;
  }

  private async expect<K extends Reply['kind']>(req: Request, kind: K, fds: readonly number[] = []): Promise<Reply & { kind: K }> {
    const reply = await this.request(req, fds);
    if (reply === null) throw new ShimError(`cr-shim serve ${req.verb}`, `the service on ${this.socket} hung up`, { code: 'ECONNRESET' });
    if (reply.kind === 'error') throw new ShimError(`cr-shim serve ${req.verb}`, reply.text, { code: 'EPROTO' });
    if (reply.kind !== kind) throw new ShimError(`cr-shim serve ${req.verb}`, `${this.socket} answered "${reply.kind}"`, { code: 'EPROTO' });
    return reply as Reply & { kind: K };
  }

  /** Ask for a tree under `release`: its id and the filter to inject. Throws ShimError (e.g. a version the service does not speak). */
  async adopt(release: string, ioUring: boolean): Promise<{ sid: string; filter: Uint8Array }> {
    const r = await this.expect({ verb: 'adopt', version: HAND_OVER_VERSION, release, ioUring }, 'filter');
    return { sid: r.sid, filter: r.filter };
  }

  /** Hand process `pid`'s listener over (a copy goes; ours stays ours to close). Throws ShimError. */
  async listener(sid: string, pid: number, fd: number): Promise<void> {
    await this.expect({ verb: 'listener', sid, pid }, 'ok', [fd]);
  }

  /** Every listener is over: the service guards and supervises the tree (and SIGCONTs it, mode 'stopped'). Throws ShimError. */
  async resume(sid: string, root: number, mode: ResumeMode): Promise<void> {
    await this.expect({ verb: 'resume', sid, root, mode }, 'ok');
  }

  /**
   * Resolves once the tree is gone: undefined when it ended on its own, else why the service
   * killed it (or that the service itself went away, when its guard kills it).
   */
  async wait(sid: string): Promise<string | undefined> {
    const reply = await this.request({ verb: 'wait', sid });
    if (reply === null) return `the service on ${this.socket} went away (its guard kills the tree)`;
    if (reply.kind === 'gone') return undefined;
    return reply.kind === 'error' ? reply.text : `${this.socket} answered "${reply.kind}"`;
  }

  /**
   * Have the service restore and supervise an image (restore-image): notices go to `notice` as
   * they come; resolves with the root's status, or { refused } when the service does not serve
   * the request (an older or newer service: the CLI restores itself). Throws the error the
   * service's restore ended with, rebuilt (the same line and status as in-process).
   */
  async restoreImage(spec: ImageRestoreSpec, notice: (line: string) => void): Promise<number | Refusal> {
    if (!this.conn.send(formatRequest({ verb: 'restore-image', version: HAND_OVER_VERSION, spec }))) return { refused: `the service on ${this.socket} hung up` };
    let first = true;
    for (;;) {
      const p = await this.conn.recv();
      if (p === null) {
        if (first) return { refused: `the service on ${this.socket} hung up` };
        throw new ShimError('supervise', `cr-shim serve on ${this.socket}: the service on ${this.socket} went away (its guard kills the tree)`, { code: 'ECONNRESET' });
      }
      const reply = parseReply(p.data);
      for (const fd of p.fds) fs.closeSync(fd);
      if (typeof reply === 'string') throw new ShimError('cr-shim serve', `${this.socket} answered restore-image with ${reply}`, { code: 'EPROTO' });
      if (first && reply.kind === 'error') return { refused: reply.text };
      first = false;
      switch (reply.kind) {
        case 'notice':
          notice(reply.text);
          break;
        case 'exit':
          return reply.status;
        case 'failed':
          throw rebuilt(reply.failure);
        default:
          throw new ShimError('cr-shim serve restore-image', `${this.socket} answered "${reply.kind}"`, { code: 'EPROTO' });
      }
    }
  }

  /** Ask the service to send signal `n` to this connection's restored tree (no reply). */
  signal(n: number): void {
    this.conn.send(formatRequest({ verb: 'signal', signal: n }));
  }

  close(): void {
    this.conn.close();
  }
}

/** The service's error as the in-process restore would have thrown it. */
function rebuilt(f: RemoteFailure): Error {
  if (f.kind === 'internal') return new Error(f.message);
  const opts = { ...(f.code !== undefined ? { code: f.code } : {}), ...(f.hint !== undefined ? { hint: f.hint } : {}), ...(f.exitStatus !== undefined ? { exitStatus: f.exitStatus } : {}) };
  return f.kind === 'usage' ? new UsageError(f.op, f.message, opts) : new ShimError(f.op, f.message, opts);
}
