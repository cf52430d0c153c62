/**
 * The one module that talks to libc from TypeScript.
 *
 * `nativeSys`: the calls every supervising command makes around its program,
 * exported by the notify addon that `run` loads anyway (native/libc-calls.c).
 * `sys`, `sysBlocking`: the rest, through koffi (about 0.2 µs a call), loaded on
 * the first such call. koffi costs about 7 MB and, at load, Node's https, tls,
 * zlib and crypto modules: a `run` whose calls are all answered in C never
 * loads it. Everything hot lives in native/notify-core.c instead; these serve
 * set-up and the rarely used handlers.
 */
import { createRequire } from 'node:module';
import { loadAddon } from './addon.js';

type Koffi = typeof import('koffi');
type KoffiLib = ReturnType<Koffi['load']>;

let loaded: { koffi: Koffi; libc: KoffiLib } | undefined;

/** koffi and libc, with the structs below declared, on first use (once per thread). */
function koffiLibc(): { koffi: Koffi; libc: KoffiLib } {
  if (loaded) return loaded;
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  koffi.struct('cr_iovec_local', { base: 'void *', len: 'size_t' });
  // The remote side's addresses belong to another process: plain integers here.
  koffi.struct('cr_iovec_remote', { base: 'uint64_t', len: 'size_t' });
  // struct msghdr; the iovec's base and the control buffer are Buffers the kernel writes into.
  koffi.struct('cr_msghdr', {
    name: 'void *',
    namelen: 'uint32_t',
    iov: 'cr_iovec_local *',
    iovlen: 'size_t',
    control: 'void *',
    controllen: 'size_t',
    flags: 'int',
  });
  loaded = { koffi, libc: koffi.load('libc.so.6') };
  return loaded;
}

/** The libc function `decl` declares, bound on its first call. */
function bound(decl: string): (...args: unknown[]) => unknown {
  let f: ((...args: unknown[]) => unknown) | undefined;
  return (...args) => (f ??= koffiLibc().libc.func(decl) as (...args: unknown[]) => unknown)(...args);
}

type Iov = { base: Buffer; len: number };
export type MsgHdr = { name: null; namelen: number; iov: Iov; iovlen: number; control: Buffer; controllen: number; flags: number };

type AsyncCall = { async: (...args: unknown[]) => void };
/** Run a blocking libc call on libuv's thread pool; resolves with its return value. */
function blocking(fn: unknown, ...args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) =>
    (fn as AsyncCall).async(...args, (err: unknown, res: unknown) => (err ? reject(err as Error) : resolve(Number(res)))),
  );
}
let accept4: unknown;
let recvmsg: unknown;
type RemoteIov = { base: bigint; len: number };

export const sys = {
  process_vm_readv: bound(
    'long process_vm_readv(int pid, cr_iovec_local *local, unsigned long lc, cr_iovec_remote *remote, unsigned long rc, unsigned long flags)',
  ) as (pid: number, l: Iov, lc: number, r: RemoteIov, rc: number, flags: number) => number,
  process_vm_writev: bound(
    'long process_vm_writev(int pid, cr_iovec_local *local, unsigned long lc, cr_iovec_remote *remote, unsigned long rc, unsigned long flags)',
  ) as (pid: number, l: Iov, lc: number, r: RemoteIov, rc: number, flags: number) => number,
  syscall3: bound('long syscall(long nr, long a1, long a2, long a3)') as (nr: number, a1: number, a2: number, a3: number) => number,
  syscallPtr: bound('long syscall(long nr, long a1, long a2, _Inout_ void *a3)') as (nr: number, a1: number, a2: number, a3: Buffer) => number,
  /** For calls with more than three arguments (kcmp); unused ones are passed as 0. */
  syscall5: bound('long syscall(long nr, long a1, long a2, long a3, long a4, long a5)') as (nr: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number,
  /** fcntl with a pointer to a u64 (F_GET_RW_HINT). */
  fcntlU64: bound('int fcntl(int fd, int cmd, _Inout_ uint64_t *arg)') as (fd: number, cmd: number, arg: [bigint]) => number,
  statx: bound('int statx(int dirfd, const char *path, int flags, unsigned int mask, _Out_ void *buf)') as (dirfd: number, path: string, flags: number, mask: number, buf: Buffer) => number,
  memfd_create: bound('int memfd_create(const char *name, unsigned int flags)') as (name: string, flags: number) => number,
  waitpid: bound('int waitpid(int pid, _Out_ int *status, int options)') as (pid: number, status: number[], options: number) => number,
  waitid: bound('int waitid(int idtype, int id, _Out_ uint8_t *info, int options)') as (idtype: number, id: number, info: Buffer, options: number) => number,
  close: bound('int close(int fd)') as (fd: number) => number,
  open: bound('int open(const char *path, int flags)') as (path: string, flags: number) => number,
  fcntl: bound('int fcntl(int fd, int cmd, int arg)') as (fd: number, cmd: number, arg: number) => number,
  kill: bound('int kill(int pid, int sig)') as (pid: number, sig: number) => number,
  poll: bound('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)') as (fds: Buffer, nfds: number, timeout: number) => number,
  socket: bound('int socket(int domain, int type, int protocol)') as (domain: number, type: number, protocol: number) => number,
  send: bound('long send(int fd, _In_ void *buf, unsigned long len, int flags)') as (fd: number, buf: Buffer, len: number, flags: number) => number,
  recv: bound('long recv(int fd, _Out_ void *buf, unsigned long len, int flags)') as (fd: number, buf: Buffer, len: number, flags: number) => number,
  bind: bound('int bind(int fd, void *addr, uint32_t len)') as (fd: number, addr: Buffer, len: number) => number,
  listen: bound('int listen(int fd, int backlog)') as (fd: number, backlog: number) => number,
  shutdown: bound('int shutdown(int fd, int how)') as (fd: number, how: number) => number,
  connect: bound('int connect(int fd, void *addr, uint32_t len)') as (fd: number, addr: Buffer, len: number) => number,
  sendmsg: bound('long sendmsg(int fd, cr_msghdr *msg, int flags)') as (fd: number, msg: MsgHdr, flags: number) => number,
  getsockopt: bound('int getsockopt(int fd, int level, int optname, _Out_ void *optval, _Inout_ uint32_t *optlen)') as (
    fd: number, level: number, optname: number, optval: Buffer, optlen: number[],
  ) => number,
  pread: bound('long pread(int fd, _Out_ void *buf, unsigned long n, long off)') as (fd: number, buf: Buffer, n: number, off: number) => number,
  write: bound('long write(int fd, _In_ void *buf, unsigned long n)') as (fd: number, buf: Buffer, n: number) => number,
  lseek: bound('long lseek(int fd, long off, int whence)') as (fd: number, off: number, whence: number) => number,
  pipe2: bound('int pipe2(_Out_ int *fds, int flags)') as (fds: number[], flags: number) => number,
  splice: bound('long splice(int in, _Inout_ int64_t *offIn, int out, void *offOut, unsigned long len, unsigned int flags)') as (
    fdIn: number, offIn: number[], fdOut: number, offOut: null, len: number, flags: number,
  ) => number,
  /** ioctl with a pointer argument (FIONREAD, TIOCSTI). */
  ioctlPtr: bound('int ioctl(int fd, unsigned long req, _Inout_ void *arg)') as (fd: number, req: number, arg: Buffer) => number,
  errno: (): number => koffiLibc().koffi.errno(),
};

/** Blocking calls, each run on libuv's thread pool so the event loop goes on. */
export const sysBlocking = {
  accept4: (fd: number, flags: number): Promise<number> =>
    blocking((accept4 ??= koffiLibc().libc.func('int accept4(int fd, void *addr, void *addrlen, int flags)')), fd, null, null, flags),
  /** msg is updated in place (controllen, flags); returns the byte count or -1. */
  recvmsg: (fd: number, msg: MsgHdr, flags: number): Promise<number> =>
    blocking((recvmsg ??= koffiLibc().libc.func('long recvmsg(int fd, _Inout_ cr_msghdr *msg, int flags)')), fd, msg, flags),
};

/**
 * The set-up calls, from the notify addon (no koffi). Each returns the result
 * or -errno; the caller names the operation in its error.
 */
export const nativeSys = {
  prctl: (option: number, arg2: number): number => loadAddon().prctl(option, arg2),
  /** [pid, or 0 when WNOHANG found it running, or -errno; the wait status]. */
  waitpid: (pid: number, options: number): [number, number] => loadAddon().waitpid(pid, options),
  pidfdOpen: (pid: number, flags = 0): number => loadAddon().pidfdOpen(pid, flags),
  pidfdGetfd: (pidfd: number, fd: number): number => loadAddon().pidfdGetfd(pidfd, fd),
  /** seccomp(SECCOMP_GET_ACTION_AVAIL): 0 when the kernel knows the return action. */
  seccompActionAvail: (action: number): number => loadAddon().seccompActionAvail(action >>> 0),
  /** madvise(NULL, 0, advice): 0 when the kernel knows the advice (an empty range touches nothing). */
  madviseEmpty: (advice: number): number => loadAddon().madviseEmpty(advice),
  /** A client of cr-shim serve gets its request out without koffi (about 25 ms of its start). */
  seqpacketConnect: (path: string): number => loadAddon().seqpacketConnect(path),
  /** [0 or -errno, pid, uid, gid]. */
  peerCred: (fd: number): [number, number, number, number] => loadAddon().peerCred(fd),
  sendPacket: (fd: number, data: Buffer): number => loadAddon().sendPacket(fd, data),
};
