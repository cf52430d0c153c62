/**
 * SO_PASSCRED and SO_PASSSEC at SOL_SOCKET under personas before 6.16. Since 6.16
 * (net/core/sock.c) both are refused with EOPNOTSUPP on sockets other than unix, netlink and
 * bluetooth; before, sock_setsockopt() stored the flag on any socket and sock_getsockopt()
 * read it back. On those three families the call runs unchanged (the kernel still honours
 * it); on any other socket the old checks are made and the flag is kept here, per socket
 * (by inode, so dup'ed and inherited descriptors share it, as they share the socket).
 *
 * The old kernel's checks, in order: the descriptor (EBADF, ENOTSOCK), then for setsockopt
 * optlen < sizeof(int) → EINVAL and an unreadable optval → EFAULT; for getsockopt an
 * unreadable optlen → EFAULT, a negative one → EINVAL, then min(len, 4) bytes of the int
 * and the length written back (EFAULT when either write fails).
 */
import fs from 'node:fs';
import { E } from '../native/errno.js';
import { sys } from '../native/libc.js';
import { takeFd } from './tracee-fd.js';
import type { Call, Handler, Reply } from './types.js';

const SOL_SOCKET = 1;
const SO_DOMAIN = 39;
/** Families whose sockets still take the options on 6.16+ (AF_UNIX, AF_NETLINK, AF_BLUETOOTH). */
const STILL_SUPPORTED = new Set([1, 16, 31]);
const SETSOCKOPT = 'setsockopt';

/** Flags set on sockets, by "<dev>:<ino>:<optname>"; a socket never set reads 0. */
const flags = new Map<string, number>();

function socketDomain(fd: number): number | { errno: number } {
  const val = Buffer.alloc(4);
  const len = [4];
  if (sys.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, val, len) < 0) {
    const e = sys.errno();
    return { errno: e === E.EBADF ? E.EBADF! : E.ENOTSOCK! };
  }
  return val.readInt32LE(0);
}

export const sockoptPasscred: Handler = {
  id: 'sockopt-passcred',
  handle(call: Call): Reply {
    const fdArg = Number(BigInt.asIntN(32, call.args[0]!));
    const optname = Number(BigInt.asIntN(32, call.args[2]!));
    const optval = call.args[3]!;
    const own = takeFd(call.pid, fdArg);
    if (typeof own !== 'number') return { kind: 'error', errno: own.errno === E.ESRCH ? E.ESRCH! : E.EBADF! };
    try {
      const domain = socketDomain(own);
      if (typeof domain !== 'number') return { kind: 'error', errno: domain.errno };
      if (STILL_SUPPORTED.has(domain)) return { kind: 'continue' };
      const st = fs.fstatSync(own);
      const key = `${st.dev}:${st.ino}:${optname}`;
      if (call.name === SETSOCKOPT) {
        const optlen = Number(BigInt.asIntN(32, call.args[4]!));
        if (optlen < 4) return { kind: 'error', errno: E.EINVAL! };
        const v = call.mem.readI32(optval);
        if (v === null) return { kind: 'error', errno: E.EFAULT! };
        // The pid may have been reused while memory was read: act only for the same task.
        if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
        flags.set(key, v !== 0 ? 1 : 0);
        return { kind: 'return', val: 0n };
      }
      const lenAddr = call.args[4]!;
      const len = call.mem.readI32(lenAddr);
      if (len === null) return { kind: 'error', errno: E.EFAULT! };
      if (len < 0) return { kind: 'error', errno: E.EINVAL! };
      if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
      const n = Math.min(len, 4);
      const out = Buffer.alloc(4);
      out.writeInt32LE(flags.get(key) ?? 0, 0);
      if (n > 0 && !call.mem.write(optval, out.subarray(0, n))) return { kind: 'error', errno: E.EFAULT! };
      const lenOut = Buffer.alloc(4);
      lenOut.writeInt32LE(n, 0);
      if (!call.mem.write(lenAddr, lenOut)) return { kind: 'error', errno: E.EFAULT! };
      return { kind: 'return', val: 0n };
    } finally {
      sys.close(own);
    }
  },
};
