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

type Iov = { base: Buffer; len: number };
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
  errno: (): number => koffi.errno(),
};
