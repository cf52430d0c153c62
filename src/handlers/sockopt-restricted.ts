/**
 * SOL_SOCKET options that 6.16 restricted to the sockets that use them, under personas before
 * 6.16. The series "af_unix: Introduce SO_PASSRIGHTS" (net/core/sock.c, 6.16) made
 * sk_setsockopt() and sk_getsockopt() answer EOPNOTSUPP for
 *   SO_PASSCRED, SO_PASSSEC  on sockets other than unix, netlink and bluetooth;
 *   SO_PASSPIDFD             on sockets other than unix;
 *   SO_TXREHASH              on sockets other than TCP ("tcp: Restrict SO_TXREHASH to TCP
 *                            socket.": sk_is_tcp(), an inet stream socket of IPPROTO_TCP).
 * Before, every socket took them: the flags were stored and read back (and had no effect), and
 * sk_txrehash was stored on any socket. On the sockets that keep them the call runs unchanged;
 * on any other the old checks are made and the value is kept here, per socket (by inode, so
 * dup'ed and inherited descriptors share it, as they share the socket).
 *
 * The old kernel's checks, in order: the descriptor (EBADF, ENOTSOCK), then for setsockopt
 * optlen < sizeof(int) → EINVAL, an unreadable optval → EFAULT, then the option's own check
 * (SO_TXREHASH: a value outside -1..1 → EINVAL); for getsockopt an unreadable optlen → EFAULT,
 * a negative one → EINVAL, then min(len, 4) bytes of the int and the length written back
 * (EFAULT when either write fails).
 */
import fs from 'node:fs';
import { E } from '../native/errno.js';
import { sys } from '../native/libc.js';
import { takeFd } from './tracee-fd.js';
import type { Call, Handler, Reply } from './types.js';

const SOL_SOCKET = 1;
/** <asm-generic/socket.h> */
const SO = { TYPE: 3, PASSCRED: 16, PASSSEC: 34, PROTOCOL: 38, DOMAIN: 39, TXREHASH: 74, PASSPIDFD: 76 } as const;
const AF = { UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, BLUETOOTH: 31 } as const;
const SOCK_STREAM = 1;
const IPPROTO_TCP = 6;
const SETSOCKOPT = 'setsockopt';
/** net.core.txrehash, SOCK_TXREHASH_ENABLED unless changed: what inet_create() gives a new socket. */
const TXREHASH_SYSCTL = '/proc/sys/net/core/txrehash';
const SOCK_TXREHASH_ENABLED = 1;

/** What the old kernel's checks need to know about a socket. */
export interface SocketFacts {
  family: number;
  type: number;
  protocol: number;
}

/** One restricted option: where 6.16 still answers it, and what the old kernel stored and read. */
export interface RestrictedOption {
  name: string;
  /** Sockets 6.16 still takes it on: the kernel answers there, as it always did. */
  kept(s: SocketFacts): boolean;
  /** The value the old setsockopt stored for `v`, or its errno. */
  store(v: number, txrehashDefault: number): number | { errno: number };
  /** What a socket never set reads. */
  initial(s: SocketFacts, txrehashDefault: number): number;
}

const flag = (v: number): number => (v !== 0 ? 1 : 0);
const inet = (s: SocketFacts): boolean => s.family === AF.INET || s.family === AF.INET6;

/** The options, by number. */
export const RESTRICTED: ReadonlyMap<number, RestrictedOption> = new Map<number, RestrictedOption>([
  [SO.PASSCRED, { name: 'SO_PASSCRED', kept: (s) => [AF.UNIX, AF.NETLINK, AF.BLUETOOTH].includes(s.family as 1), store: flag, initial: () => 0 }],
  [SO.PASSSEC, { name: 'SO_PASSSEC', kept: (s) => [AF.UNIX, AF.NETLINK, AF.BLUETOOTH].includes(s.family as 1), store: flag, initial: () => 0 }],
  [SO.PASSPIDFD, { name: 'SO_PASSPIDFD', kept: (s) => s.family === AF.UNIX, store: flag, initial: () => 0 }],
  [SO.TXREHASH, {
    name: 'SO_TXREHASH',
    kept: (s) => inet(s) && s.type === SOCK_STREAM && s.protocol === IPPROTO_TCP,
    // sk_txrehash is a u8; -1 (SOCK_TXREHASH_DEFAULT as u8) stood for the sysctl's value.
    store: (v, dflt) => (v < -1 || v > 1 ? { errno: E.EINVAL! } : v === -1 ? dflt : v),
    // inet_create() and inet6_create() copy net.core.txrehash; other families leave it 0.
    initial: (s, dflt) => (inet(s) ? dflt : 0),
  }],
]);

/** Option numbers, for the behaviour row's traps. */
export const RESTRICTED_OPTIONS: readonly number[] = [...RESTRICTED.keys()].sort((a, b) => a - b);

/** Values set on sockets, by "<dev>:<ino>:<optname>". */
const values = new Map<string, number>();

function intOpt(fd: number, opt: number): number | { errno: number } {
  const val = Buffer.alloc(4);
  const len = [4];
  if (sys.getsockopt(fd, SOL_SOCKET, opt, val, len) < 0) {
    const e = sys.errno();
    return { errno: e === E.EBADF ? E.EBADF! : E.ENOTSOCK! };
  }
  return val.readInt32LE(0);
}

function socketFacts(fd: number): SocketFacts | { errno: number } {
  const [family, type, protocol] = [SO.DOMAIN, SO.TYPE, SO.PROTOCOL].map((o) => intOpt(fd, o));
  for (const v of [family, type, protocol]) if (typeof v !== 'number') return v!;
  return { family: family as number, type: type as number, protocol: protocol as number };
}

/** The supervisor's net.core.txrehash (its network namespace's, not necessarily the task's). */
function txrehashDefault(): number {
  try {
    return Number(fs.readFileSync(TXREHASH_SYSCTL, 'utf8').trim());
  } catch {
    return SOCK_TXREHASH_ENABLED;
  }
}

export const sockoptRestricted: Handler = {
  id: 'sockopt-restricted',
  handle(call: Call): Reply {
    const fdArg = Number(BigInt.asIntN(32, call.args[0]!));
    const optname = Number(BigInt.asIntN(32, call.args[2]!));
    const option = RESTRICTED.get(optname);
    if (option === undefined) return { kind: 'continue' };
    const optval = call.args[3]!;
    const own = takeFd(call.pid, fdArg);
    if (typeof own !== 'number') return { kind: 'error', errno: own.errno === E.ESRCH ? E.ESRCH! : E.EBADF! };
    try {
      const facts = socketFacts(own);
      if ('errno' in facts) return { kind: 'error', errno: facts.errno };
      if (option.kept(facts)) return { kind: 'continue' };
      const st = fs.fstatSync(own);
      const key = `${st.dev}:${st.ino}:${optname}`;
      if (call.name === SETSOCKOPT) {
        const optlen = Number(BigInt.asIntN(32, call.args[4]!));
        if (optlen < 4) return { kind: 'error', errno: E.EINVAL! };
        const v = call.mem.readI32(optval);
        if (v === null) return { kind: 'error', errno: E.EFAULT! };
        const stored = option.store(v, txrehashDefault());
        if (typeof stored !== 'number') return { kind: 'error', errno: stored.errno };
        // The pid may have been reused while memory was read: act only for the same task.
        if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
        values.set(key, stored);
        return { kind: 'return', val: 0n };
      }
      const lenAddr = call.args[4]!;
      const len = call.mem.readI32(lenAddr);
      if (len === null) return { kind: 'error', errno: E.EFAULT! };
      if (len < 0) return { kind: 'error', errno: E.EINVAL! };
      if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
      const n = Math.min(len, 4);
      const out = Buffer.alloc(4);
      out.writeInt32LE(values.get(key) ?? option.initial(facts, txrehashDefault()), 0);
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
