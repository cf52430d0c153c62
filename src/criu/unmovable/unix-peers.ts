/**
 * Which unix socket is connected to which, by inode, through NETLINK_SOCK_DIAG (sock_diag(7),
 * include/uapi/linux/unix_diag.h). /proc/net/unix lists unix sockets but not their peers.
 *
 *   request ::= nlmsghdr { len, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0 }
 *               unix_diag_req { AF_UNIX u8, 0 u8, 0 u16, states u32 = ~0, ino u32 = 0,
 *                               show u32 = UDIAG_SHOW_PEER, cookie u32[2] = ~0 }
 *   reply   ::= { nlmsghdr unix_diag_msg { family u8, type u8, state u8, pad u8, ino u32,
 *                 cookie u32[2] } { rtattr { len u16, type u16 } PAYLOAD PAD-TO-4 } }
 *               nlmsghdr { type NLMSG_DONE }
 *   UNIX_DIAG_PEER's payload ::= peer inode u32
 *
 * The kernel answers for the network namespace of the asking socket: cr-shim's own.
 */
import { KernelError } from '../../errors.js';
import { errnoName } from '../../native/errno.js';
import { sys } from '../../native/libc.js';

const AF_NETLINK = 16;
const AF_UNIX = 1;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const UDIAG_SHOW_PEER = 0x4;
const UNIX_DIAG_PEER = 2;
const NLMSG_HDRLEN = 16;

export interface UnixSocket {
  ino: number;
  /** SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5. */
  type: number;
  /** The connected peer's inode. */
  peer?: number;
}

/** The dump request, as bytes. */
export function unixDiagRequest(seq: number): Buffer {
  const b = Buffer.alloc(NLMSG_HDRLEN + 24);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt8(AF_UNIX, 16);
  b.writeUInt32LE(0xffffffff, 20); // every state
  b.writeUInt32LE(UDIAG_SHOW_PEER, 28);
  b.writeUInt32LE(0xffffffff, 32);
  b.writeUInt32LE(0xffffffff, 36);
  return b;
}

/** Parse one datagram of replies. `done` at NLMSG_DONE; an NLMSG_ERROR is returned as its errno. */
export function parseUnixDiag(buf: Buffer): { sockets: UnixSocket[]; done: boolean; errno?: number } {
  const sockets: UnixSocket[] = [];
  for (let off = 0; off + NLMSG_HDRLEN <= buf.length; ) {
    const len = buf.readUInt32LE(off);
    const type = buf.readUInt16LE(off + 4);
    if (len < NLMSG_HDRLEN || off + len > buf.length) break;
    if (type === NLMSG_DONE) return { sockets, done: true };
    if (type === NLMSG_ERROR) return { sockets, done: true, errno: -buf.readInt32LE(off + NLMSG_HDRLEN) };
    const msg = off + NLMSG_HDRLEN;
    const s: UnixSocket = { type: buf.readUInt8(msg + 1), ino: buf.readUInt32LE(msg + 4) };
    for (let a = msg + 16; a + 4 <= off + len; ) {
      const alen = buf.readUInt16LE(a);
      if (alen < 4) break;
      if (buf.readUInt16LE(a + 2) === UNIX_DIAG_PEER && alen >= 8) s.peer = buf.readUInt32LE(a + 4);
      a += (alen + 3) & ~3;
    }
    sockets.push(s);
    off += (len + 3) & ~3;
  }
  return { sockets, done: false };
}

/** Every unix socket of cr-shim's network namespace, by inode. Throws KernelError when sock_diag fails. */
export function unixSockets(): Map<number, UnixSocket> {
  const fd = sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  const fail = (op: string, errno = sys.errno()) => new KernelError(`sock_diag ${op}`, `unix socket peers: ${op} failed: ${errnoName(errno)}`, { code: errnoName(errno) });
  if (fd < 0) throw fail('socket(AF_NETLINK, NETLINK_SOCK_DIAG)');
  try {
    const req = unixDiagRequest(1);
    if (sys.send(fd, req, req.length, 0) !== req.length) throw fail('send');
    const out = new Map<number, UnixSocket>();
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = sys.recv(fd, buf, buf.length, 0);
      if (n < 0) throw fail('recv');
      if (n === 0) return out;
      const r = parseUnixDiag(buf.subarray(0, n));
      if (r.errno !== undefined && r.errno !== 0) throw fail('SOCK_DIAG_BY_FAMILY', r.errno);
      for (const s of r.sockets) out.set(s.ino, s);
      if (r.done) return out;
    }
  } finally {
    sys.close(fd);
  }
}
