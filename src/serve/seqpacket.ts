/**
 * A unix SOCK_SEQPACKET server and client that pass file descriptors (SCM_RIGHTS):
 * Node's net module can neither keep message boundaries on a unix socket nor
 * take descriptors from a peer, so the calls go to libc (native/libc.ts).
 * Blocking accept and recvmsg run on libuv's thread pool (koffi). A client's connect,
 * peer check and plain send go through the notify addon (nativeSys): `cr-shim restore`
 * has its request out before koffi loads, at its first recv, while the service restores.
 *
 *   control ::= { cmsghdr(len: size_t, level: int, type: int) data, padded to 8 }
 *   SCM_RIGHTS data ::= { int fd }
 */
import fs from 'node:fs';
import { KernelError } from '../errors.js';
import { errnoName } from '../native/errno.js';
import { nativeSys, sys, sysBlocking } from '../native/libc.js';

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_NOSIGNAL = 0x4000;
const MSG_CMSG_CLOEXEC = 0x40000000;
const MSG_CTRUNC = 0x8;
const SHUT_RDWR = 2;
/** sockaddr_un's sun_path. */
const SUN_PATH_MAX = 108;
/** A message: the largest is a filter (BPF_MAXINSNS instructions of 8 bytes) and a line. */
const MAX_MESSAGE = 64 * 1024;
const MAX_FDS = 8;

export interface Packet {
  data: Buffer;
  /** Descriptors that came with it, now ours (close-on-exec). */
  fds: number[];
}

function fail(op: string): never {
  const errno = sys.errno();
  throw new KernelError(op, `${op} failed: ${errnoName(errno)}`, { code: errnoName(errno) });
}

/** The descriptors of every SCM_RIGHTS message in a control buffer. */
export function parseRights(control: Buffer, length: number): number[] {
  const fds: number[] = [];
  for (let at = 0; at + 16 <= length; ) {
    const len = Number(control.readBigUInt64LE(at));
    if (len < 16) break;
    if (control.readInt32LE(at + 8) === SOL_SOCKET && control.readInt32LE(at + 12) === SCM_RIGHTS) {
      for (let p = at + 16; p + 4 <= at + len; p += 4) fds.push(control.readInt32LE(p));
    }
    at += (len + 7) & ~7;
  }
  return fds;
}

/** struct sockaddr_un for `path`, and its length. Throws KernelError for a path too long for sun_path. */
function unixAddress(op: string, path: string): { addr: Buffer; len: number } {
  const name = Buffer.from(path);
  if (name.length >= SUN_PATH_MAX) throw new KernelError(op, `socket path ${path} is longer than ${SUN_PATH_MAX - 1} bytes`, { code: 'ENAMETOOLONG' });
  const addr = Buffer.alloc(2 + SUN_PATH_MAX);
  addr.writeUInt16LE(AF_UNIX, 0);
  name.copy(addr, 2);
  return { addr, len: 2 + name.length + 1 };
}

/** A control buffer carrying `fds` as one SCM_RIGHTS message (cmsghdr: size_t len, int level, int type). */
export function rightsControl(fds: readonly number[]): Buffer {
  const len = 16 + 4 * fds.length;
  const control = Buffer.alloc((len + 7) & ~7);
  control.writeBigUInt64LE(BigInt(len), 0);
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  fds.forEach((fd, i) => control.writeInt32LE(fd, 16 + 4 * i));
  return control;
}

/** The peer's credentials as the kernel recorded them at connect (struct ucred: pid, uid, gid). */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

export class SeqpacketConnection {
  private closed = false;
  constructor(readonly fd: number) {}

  /**
   * Connect to the server at `path`. Throws KernelError (code: the errno name; ENOENT and
   * ECONNREFUSED mean nobody listens there).
   */
  static connect(path: string): SeqpacketConnection {
    unixAddress('connect', path);
    const fd = nativeSys.seqpacketConnect(path);
    if (fd < 0) throw new KernelError(`connect ${path}`, `connect ${path} failed: ${errnoName(-fd)}`, { code: errnoName(-fd) });
    return new SeqpacketConnection(fd);
  }

  /** SO_PEERCRED: who is at the other end (the process that bound or connected). Throws KernelError. */
  peer(): PeerCredentials {
    const [rc, pid, uid, gid] = nativeSys.peerCred(this.fd);
    if (rc < 0) throw new KernelError('getsockopt SO_PEERCRED', `getsockopt SO_PEERCRED failed: ${errnoName(-rc)}`, { code: errnoName(-rc) });
    return { pid, uid: uid >>> 0, gid: gid >>> 0 };
  }

  /** The next message, or null once the peer hung up (or close was called). */
  async recv(): Promise<Packet | null> {
    const data = Buffer.alloc(MAX_MESSAGE);
    const control = Buffer.alloc(16 + 8 * MAX_FDS);
    const msg = { name: null, namelen: 0, iov: { base: data, len: data.length }, iovlen: 1, control, controllen: control.length, flags: 0 };
    const n = await sysBlocking.recvmsg(this.fd, msg, MSG_CMSG_CLOEXEC);
    const fds = n >= 0 ? parseRights(control, msg.controllen) : [];
    if (n <= 0 || this.closed) {
      for (const fd of fds) sys.close(fd);
      return null;
    }
    if ((msg.flags & MSG_CTRUNC) !== 0) {
      for (const fd of fds) sys.close(fd);
      throw new KernelError('recvmsg', 'a message came with more descriptors than one request carries', { code: 'EPROTO' });
    }
    return { data: data.subarray(0, n), fds };
  }

  /** Send one message, with `fds` (SCM_RIGHTS; they stay ours to close); false when the peer is gone. */
  send(data: Buffer | string, fds: readonly number[] = []): boolean {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.closed) return false;
    if (fds.length === 0) return nativeSys.sendPacket(this.fd, buf) === buf.length;
    const control = rightsControl(fds);
    const msg = { name: null, namelen: 0, iov: { base: buf, len: buf.length }, iovlen: 1, control, controllen: control.length, flags: 0 };
    return sys.sendmsg(this.fd, msg, MSG_NOSIGNAL) === buf.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Wakes a recvmsg blocked on the thread pool; the descriptor is closed after it.
    sys.shutdown(this.fd, SHUT_RDWR);
    sys.close(this.fd);
  }
}

export class SeqpacketServer {
  private closed = false;
  private constructor(readonly fd: number, readonly path: string) {}

  /** Listen on `path` (mode 0600: only root may hand listeners over); a stale socket file there is replaced. Throws KernelError. */
  static listen(path: string): SeqpacketServer {
    const { addr, len } = unixAddress('bind', path);
    const fd = sys.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) fail('socket(AF_UNIX, SOCK_SEQPACKET)');
    fs.rmSync(path, { force: true });
    const oldMask = process.umask(0o177);
    try {
      if (sys.bind(fd, addr, len) < 0) fail(`bind ${path}`);
    } finally {
      process.umask(oldMask);
    }
    if (sys.listen(fd, 64) < 0) fail(`listen ${path}`);
    return new SeqpacketServer(fd, path);
  }

  /** The next connection, or null once the server is closed. */
  async accept(): Promise<SeqpacketConnection | null> {
    const fd = await sysBlocking.accept4(this.fd, SOCK_CLOEXEC);
    if (this.closed) {
      if (fd >= 0) sys.close(fd);
      return null;
    }
    if (fd < 0) fail('accept4');
    return new SeqpacketConnection(fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    sys.shutdown(this.fd, SHUT_RDWR);
    sys.close(this.fd);
    fs.rmSync(this.path, { force: true });
  }
}
