/**
 * sendfile(2) and splice(2) from a file without splice support, under personas before 5.10.
 *
 * Since 5.10 (commit 36e2c7421f02 "fs: don't allow splice read/write without explicit ops")
 * a file whose f_op lacks ->splice_read (/proc/PID/status, stat, cmdline, environ, maps and
 * other seq files) fails do_splice_to() with EINVAL; before, default_file_splice_read() read
 * it with ->read, so sendfile and splice worked on any readable file.
 *
 * The handler decides, without side effects, whether the native call would fail for that
 * reason, and otherwise lets the kernel run it (CONTINUE):
 *   - pread(in, 0 bytes, 0) is ESPIPE for a file without FMODE_PREAD (pipes, sockets: they
 *     have ->splice_read), and a 0-byte read moves nothing;
 *   - splice(in, &0, a fresh non-blocking pipe, 1, SPLICE_F_NONBLOCK) is EINVAL only when
 *     ->splice_read is missing (the offset is private, the file position does not move; a
 *     file with it moves at most one byte into our pipe, which is then closed).
 * Then it copies as the old kernel did, through the supervisor's duplicates of the task's
 * descriptors (the same open files, so the same file position):
 *   sendfile  from *offset (left as is in the file, *offset advanced) or from the file
 *             position (advanced), up to count bytes (at most MAX_RW_COUNT), until EOF or a
 *             short write, as splice_direct_to_actor() looped; returns the bytes written.
 *   splice    to a pipe only (what default_file_splice_read fed): one read of at most the
 *             pipe's free space; SPLICE_F_NONBLOCK or an O_NONBLOCK pipe with no room: EAGAIN.
 * A write that would block waits in poll(2), 100 ms at a time, until the task's call is
 * gone (a signal): the handler's thread is the tree's, so other translated calls wait too.
 *
 * ABIs (fs/read_write.c before 5.10; ia32 arguments arrive zero-extended from 32 bits):
 *   x86_64 sendfile       loff_t *offset, size_t count           (sys_sendfile64)
 *   ia32   sendfile  187  compat_off_t *offset (4 bytes, signed), compat_size_t count; with an
 *                         offset, do_sendfile(max = MAX_NON_LFS): a copy past 2^31-1 is cut
 *                         there, one that starts there fails with EOVERFLOW
 *   ia32   sendfile64 239 loff_t *offset (8 bytes), compat_size_t count
 *   splice (both)         loff_t *off_in, size_t len
 */
import fs from 'node:fs';
import { E } from '../native/errno.js';
import { sys } from '../native/libc.js';
import { takeFd } from './tracee-fd.js';
import type { Call, Handler, Reply } from './types.js';

// <asm-generic/fcntl.h>, <linux/fcntl.h>, <linux/splice.h>, <asm-generic/ioctls.h>, <poll.h>
const F_GETFL = 3;
const F_GETPIPE_SZ = 1032;
const O_ACCMODE = 0o3;
const O_RDONLY = 0;
const O_APPEND = 0o2000;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const SPLICE_F_NONBLOCK = 2;
const FIONREAD = 0x541b;
const POLLOUT = 4;
const MSG_DONTWAIT = 0x40;
const SEEK_SET = 0;
const SEEK_CUR = 1;
/** MAX_RW_COUNT: INT_MAX rounded down to a page, the most one read or write moves. */
const MAX_RW_COUNT = 0x7ffff000;
/** What one pass of splice_direct_to_actor() moved at most: a default pipe, 16 pages. */
const CHUNK = 65536;
const WAIT_MS = 100;
/** MAX_NON_LFS (<linux/fs.h>): the largest position compat sendfile reaches through a 32-bit offset. */
const MAX_NON_LFS = 0x7fffffff;

/** How one sendfile entry point lays out its offset, and the limit do_sendfile() gets with it. */
interface OffsetLayout {
  /** sizeof(*offset): compat_off_t or loff_t. */
  size: 4 | 8;
  /** do_sendfile()'s max when an offset is given; 0: the filesystems' s_maxbytes (not reproduced). */
  max: number;
}

/** The offset of sendfile by ABI and table name (see the grammar above). */
function sendfileLayout(call: Call): OffsetLayout {
  return call.arch === 'ia32' && call.name === 'sendfile' ? { size: 4, max: MAX_NON_LFS } : { size: 8, max: 0 };
}

/** A size_t argument: 32 bits wide on ia32 (the upper half of the 64-bit slot is not the task's). */
function sizeArg(call: Call, v: bigint): bigint {
  return BigInt.asUintN(call.arch === 'ia32' ? 32 : 64, v);
}

/** Scope for supervisor-owned descriptors. */
class Fds {
  private readonly list: number[] = [];
  keep(fd: number): number {
    this.list.push(fd);
    return fd;
  }
  close(): void {
    for (const fd of this.list) sys.close(fd);
  }
}

/** Would the kernel refuse to splice from `fd` because its file has no ->splice_read? */
export function lacksSpliceRead(fd: number): boolean {
  if (sys.pread(fd, Buffer.alloc(1), 0, 0) < 0) return false;
  const p = [-1, -1];
  if (sys.pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) return false;
  try {
    return sys.splice(fd, [0], p[1]!, null, 1, SPLICE_F_NONBLOCK) < 0 && sys.errno() === E.EINVAL;
  } finally {
    sys.close(p[0]!);
    sys.close(p[1]!);
  }
}

/** Room left in a pipe, in bytes (its size less what is queued). */
function pipeRoom(fd: number): number {
  const size = sys.fcntl(fd, F_GETPIPE_SZ, 0);
  const queued = Buffer.alloc(4);
  if (size < 0 || sys.ioctlPtr(fd, FIONREAD, queued) < 0) return CHUNK;
  return Math.max(0, size - queued.readInt32LE(0));
}

/** Wait until `fd` takes a write; false when the task's call went away first. */
function waitWritable(call: Call, fd: number): boolean {
  const pfd = Buffer.alloc(8);
  for (;;) {
    pfd.writeInt32LE(fd, 0);
    pfd.writeInt16LE(POLLOUT, 4);
    pfd.writeInt16LE(0, 6);
    if (sys.poll(pfd, 1, WAIT_MS) > 0) return true;
    if (!call.stillValid()) return false;
  }
}

interface Out {
  fd: number;
  socket: boolean;
  pipe: boolean;
  nonblock: boolean;
}

/** Write all of buf unless the out file is non-blocking and full, or fails: bytes written, or -errno when none were. */
function writeOut(call: Call, out: Out, buf: Buffer): number {
  let done = 0;
  while (done < buf.length) {
    const part = buf.subarray(done);
    const n = out.socket ? sys.send(out.fd, part, part.length, MSG_DONTWAIT) : sys.write(out.fd, part, out.pipe ? Math.min(part.length, Math.max(pipeRoom(out.fd), 1)) : part.length);
    if (n > 0) {
      done += n;
      continue;
    }
    const err = sys.errno();
    if (n < 0 && err === E.EINTR) continue;
    if (n < 0 && err === E.EAGAIN && !out.nonblock && waitWritable(call, out.fd)) continue;
    return done > 0 ? done : n < 0 ? -err : 0;
  }
  return done;
}

function describeOut(fd: number): Out | undefined {
  const fl = sys.fcntl(fd, F_GETFL, 0);
  // Not writable (EBADF) or append-only (EINVAL): the kernel gives the same answer before and after 5.10.
  if (fl < 0 || (fl & O_ACCMODE) === O_RDONLY || (fl & O_APPEND) !== 0) return undefined;
  const st = fs.fstatSync(fd);
  return { fd, socket: st.isSocket(), pipe: st.isFIFO(), nonblock: (fl & O_NONBLOCK) !== 0 };
}

/**
 * Where the copy starts: the offset the caller's pointer holds (EFAULT unreadable, EINVAL
 * negative, as both calls check), or in_fd's file position; a file without one goes to the kernel.
 */
function startPosition(call: Call, offAddr: bigint, inFd: number, size: 4 | 8 = 8): number | Reply {
  if (offAddr !== 0n) {
    const off = call.mem.readWord(offAddr, size);
    if (off === null) return { kind: 'error', errno: E.EFAULT! };
    const pos = Number(BigInt.asIntN(size * 8, off));
    return pos < 0 ? { kind: 'error', errno: E.EINVAL! } : pos;
  }
  const pos = sys.lseek(inFd, 0, SEEK_CUR);
  return pos < 0 ? { kind: 'continue' } : pos;
}

function sendfile(call: Call, inFd: number, out: Out): Reply {
  const offAddr = call.args[2]!;
  const layout = sendfileLayout(call);
  const asked = sizeArg(call, call.args[3]!);
  let count = Number(asked > BigInt(MAX_RW_COUNT) ? MAX_RW_COUNT : asked);
  const start = startPosition(call, offAddr, inFd, layout.size);
  if (typeof start !== 'number') return start;
  let pos = start;
  if (offAddr !== 0n && layout.max > 0 && pos + count > layout.max) {
    // do_sendfile(): EOVERFLOW when nothing is left below max, else the count is cut to reach it.
    if (pos >= layout.max) return { kind: 'error', errno: E.EOVERFLOW! };
    count = layout.max - pos;
  }
  if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
  let total = 0;
  let failed = 0;
  while (count > 0) {
    const buf = Buffer.alloc(Math.min(count, CHUNK));
    const n = sys.pread(inFd, buf, buf.length, pos);
    if (n < 0) {
      failed = sys.errno();
      break;
    }
    if (n === 0) break;
    const w = writeOut(call, out, buf.subarray(0, n));
    if (w < 0) {
      failed = -w;
      break;
    }
    pos += w;
    total += w;
    count -= w;
    if (w < n) break;
  }
  if (offAddr !== 0n) {
    if (!call.mem.writeWord(offAddr, BigInt(pos), layout.size)) return { kind: 'error', errno: E.EFAULT! };
  } else {
    sys.lseek(inFd, pos, SEEK_SET);
  }
  if (total === 0 && failed !== 0) return { kind: 'error', errno: failed };
  return { kind: 'return', val: BigInt(total) };
}

function splice(call: Call, inFd: number, out: Out): Reply {
  const offAddr = call.args[1]!;
  const asked = sizeArg(call, call.args[4]!);
  const len = Number(asked > BigInt(MAX_RW_COUNT) ? MAX_RW_COUNT : asked);
  const flags = Number(BigInt.asUintN(32, call.args[5]!));
  // Only file → pipe went through default_file_splice_read; an offset on the pipe side is ESPIPE either way.
  if (!out.pipe || call.args[3] !== 0n) return { kind: 'continue' };
  const start = startPosition(call, offAddr, inFd);
  if (typeof start !== 'number') return start;
  let pos = start;
  let room = pipeRoom(out.fd);
  while (room === 0) {
    if (out.nonblock || (flags & SPLICE_F_NONBLOCK) !== 0) return { kind: 'error', errno: E.EAGAIN! };
    if (!waitWritable(call, out.fd)) return { kind: 'error', errno: E.EINTR! };
    room = pipeRoom(out.fd);
  }
  if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
  const buf = Buffer.alloc(Math.min(len, room, CHUNK));
  const n = sys.pread(inFd, buf, buf.length, pos);
  if (n < 0) return { kind: 'error', errno: sys.errno() };
  const w = n === 0 ? 0 : writeOut(call, out, buf.subarray(0, n));
  if (w < 0) return { kind: 'error', errno: -w };
  pos += w;
  if (offAddr !== 0n) {
    if (!call.mem.writeWord(offAddr, BigInt(pos), 8)) return { kind: 'error', errno: E.EFAULT! };
  } else {
    sys.lseek(inFd, pos, SEEK_SET);
  }
  return { kind: 'return', val: BigInt(w) };
}

export const sendfileNoSplice: Handler = {
  id: 'sendfile-no-splice',
  handle(call: Call): Reply {
    const isSendfile = call.name !== 'splice';
    const [inArg, outArg] = isSendfile ? [call.args[1]!, call.args[0]!] : [call.args[0]!, call.args[2]!];
    // A zero count returns 0 before any splice_read is looked at, on every kernel.
    if (sizeArg(call, isSendfile ? call.args[3]! : call.args[4]!) === 0n) return { kind: 'continue' };
    const fds = new Fds();
    try {
      const inFd = takeFd(call.pid, Number(BigInt.asIntN(32, inArg)));
      if (typeof inFd !== 'number') return { kind: 'continue' };
      fds.keep(inFd);
      if (!lacksSpliceRead(inFd)) return { kind: 'continue' };
      const outFd = takeFd(call.pid, Number(BigInt.asIntN(32, outArg)));
      if (typeof outFd !== 'number') return { kind: 'continue' };
      const out = describeOut(fds.keep(outFd));
      if (out === undefined) return { kind: 'continue' };
      return isSendfile ? sendfile(call, inFd, out) : splice(call, inFd, out);
    } finally {
      fds.close();
    }
  },
};
