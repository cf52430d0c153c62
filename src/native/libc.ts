/**
 * The plain libc calls cr-shim makes from TypeScript, through koffi (about 0.2 µs
 * a call). Everything hot lives in native/notify-loop.c instead; these serve
 * set-up and the rarely used handlers.
 */
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

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

type Iov = { base: Buffer; len: number };
export type MsgHdr = { name: null; namelen: number; iov: Iov; iovlen: number; control: Buffer; controllen: number; flags: number };

type AsyncCall = { async: (...args: unknown[]) => void };
/** Run a blocking libc call on libuv's thread pool; resolves with its return value. */
function blocking(fn: unknown, ...args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) =>
    (fn as AsyncCall).async(...args, (err: unknown, res: unknown) => (err ? reject(err as Error) : resolve(Number(res)))),
  );
}
const accept4 = libc.func('int accept4(int fd, void *addr, void *addrlen, int flags)');
const recvmsg = libc.func('long recvmsg(int fd, _Inout_ cr_msghdr *msg, int flags)');
type RemoteIov = { base: bigint; len: number };

export const sys = {
  process_vm_readv: libc.func(
    'long process_vm_readv(int pid, cr_iovec_local *local, unsigned long lc, cr_iovec_remote *remote, unsigned long rc, unsigned long flags)',
  ) as (pid: number, l: Iov, lc: number, r: RemoteIov, rc: number, flags: number) => number,
  process_vm_writev: libc.func(
    'long process_vm_writev(int pid, cr_iovec_local *local, unsigned long lc, cr_iovec_remote *remote, unsigned long rc, unsigned long flags)',
  ) as (pid: number, l: Iov, lc: number, r: RemoteIov, rc: number, flags: number) => number,
  prctl: libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)') as (
    o: number, a2: number, a3: number, a4: number, a5: number) => number,
  syscall3: libc.func('long syscall(long nr, long a1, long a2, long a3)') as (nr: number, a1: number, a2: number, a3: number) => number,
  syscallPtr: libc.func('long syscall(long nr, long a1, long a2, _Inout_ void *a3)') as (nr: number, a1: number, a2: number, a3: Buffer) => number,
  memfd_create: libc.func('int memfd_create(const char *name, unsigned int flags)') as (name: string, flags: number) => number,
  waitpid: libc.func('int waitpid(int pid, _Out_ int *status, int options)') as (pid: number, status: number[], options: number) => number,
  waitid: libc.func('int waitid(int idtype, int id, _Out_ uint8_t *info, int options)') as (idtype: number, id: number, info: Buffer, options: number) => number,
  close: libc.func('int close(int fd)') as (fd: number) => number,
  open: libc.func('int open(const char *path, int flags)') as (path: string, flags: number) => number,
  fcntl: libc.func('int fcntl(int fd, int cmd, int arg)') as (fd: number, cmd: number, arg: number) => number,
  kill: libc.func('int kill(int pid, int sig)') as (pid: number, sig: number) => number,
  poll: libc.func('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)') as (fds: Buffer, nfds: number, timeout: number) => number,
  socket: libc.func('int socket(int domain, int type, int protocol)') as (domain: number, type: number, protocol: number) => number,
  send: libc.func('long send(int fd, _In_ void *buf, unsigned long len, int flags)') as (fd: number, buf: Buffer, len: number, flags: number) => number,
  recv: libc.func('long recv(int fd, _Out_ void *buf, unsigned long len, int flags)') as (fd: number, buf: Buffer, len: number, flags: number) => number,
  bind: libc.func('int bind(int fd, void *addr, uint32_t len)') as (fd: number, addr: Buffer, len: number) => number,
  listen: libc.func('int listen(int fd, int backlog)') as (fd: number, backlog: number) => number,
  shutdown: libc.func('int shutdown(int fd, int how)') as (fd: number, how: number) => number,
  connect: libc.func('int connect(int fd, void *addr, uint32_t len)') as (fd: number, addr: Buffer, len: number) => number,
  sendmsg: libc.func('long sendmsg(int fd, cr_msghdr *msg, int flags)') as (fd: number, msg: MsgHdr, flags: number) => number,
  getsockopt: libc.func('int getsockopt(int fd, int level, int optname, _Out_ void *optval, _Inout_ uint32_t *optlen)') as (
    fd: number, level: number, optname: number, optval: Buffer, optlen: number[],
  ) => number,
  pread: libc.func('long pread(int fd, _Out_ void *buf, unsigned long n, long off)') as (fd: number, buf: Buffer, n: number, off: number) => number,
  write: libc.func('long write(int fd, _In_ void *buf, unsigned long n)') as (fd: number, buf: Buffer, n: number) => number,
  lseek: libc.func('long lseek(int fd, long off, int whence)') as (fd: number, off: number, whence: number) => number,
  pipe2: libc.func('int pipe2(_Out_ int *fds, int flags)') as (fds: number[], flags: number) => number,
  splice: libc.func('long splice(int in, _Inout_ int64_t *offIn, int out, void *offOut, unsigned long len, unsigned int flags)') as (
    fdIn: number, offIn: number[], fdOut: number, offOut: null, len: number, flags: number,
  ) => number,
  /** ioctl with a pointer argument (FIONREAD, TIOCSTI). */
  ioctlPtr: libc.func('int ioctl(int fd, unsigned long req, _Inout_ void *arg)') as (fd: number, req: number, arg: Buffer) => number,
  errno: (): number => koffi.errno(),
};

/** Blocking calls, each run on libuv's thread pool so the event loop goes on. */
export const sysBlocking = {
  accept4: (fd: number, flags: number): Promise<number> => blocking(accept4, fd, null, null, flags),
  /** msg is updated in place (controllen, flags); returns the byte count or -1. */
  recvmsg: (fd: number, msg: MsgHdr, flags: number): Promise<number> => blocking(recvmsg, fd, msg, flags),
};
