/**
 * Every syscall cr-shim treats specially, with its support level and a note.
 * The plan dispatches from this table and docs/SUPPORTED.md is printed from it,
 * so what the docs say is what the code does. A syscall not listed here is
 * allowed when the host has it and refused with ENOSYS when the persona lacks it.
 */
import type { Emulation, Handler, RuleFacts } from './types.js';
import { uname, unameWatch } from './uname.js';
import { procIdentity } from './proc-identity.js';
import { makeSysctlHandler, type SysctlLookup } from './sysctl.js';
import { iopl, ioperm } from './ioport.js';
import { lookupDcookie } from './lookup-dcookie.js';
import { nfsservctl } from './nfsservctl.js';
import { bdflush } from './bdflush.js';
import { sockoptRestricted } from './sockopt-restricted.js';
import { yamaPtracer } from './yama-ptracer.js';
import { madviseMemoryFailure } from './madvise-memory-failure.js';
import { deleteModule, finitModule, initModule } from './modules.js';
import { kexecLoad } from './kexec.js';
import { behaviourHandlerIds } from './behaviours.js';
import { sendfileNoSplice } from './sendfile-no-splice.js';
import { tiocsti } from './tiocsti.js';
import { STRICT_MODE_HANDLER, strictMode } from './strict-mode.js';
import { compareReleases } from '../tables/release.js';
import { execVdso } from './exec-vdso.js';
import { fcntlRwHint } from './fcntl-rw-hint.js';
import { statxMask } from './statx-mask.js';
import { answersStat, STAT_CALLS, sysctlRemovedStat } from './sysctl-removed-stat.js';
import { removedSysctlFiles } from './sysctl-removed.js';
import { loadSysctlRemovedFile, type SysctlRemovedEntry } from '../tables/load.js';
import { ARG_POLICIES } from '../plan/arg-rules.js';

const hostLacks = (f: RuleFacts): boolean => !f.hostHas;
const otherKernel = (f: RuleFacts): boolean => !f.sameKernel;
/** Restore and attach: the tree shares cr-shim's mount namespace, so opens are the supervisor's to answer. */
const identityNotMounted = (f: RuleFacts): boolean => !f.sameKernel && !f.identityMounted;

const UNAME: Emulation = {
  handler: 'uname', support: 'full', when: otherKernel,
  note: 'sysname, release and version from the persona; nodename and domainname from the calling task\'s UTS namespace at the time of the call; machine the real one, i686 under PER_LINUX32; UNAME26 as the persona\'s kernel did (from 3.1: 2.6.40+minor on 3.x, 2.6.60+minor from 4.0)',
};
const UNAME_WATCH: Emulation = {
  handler: 'uname-watch', support: 'full', when: otherKernel,
  note: 'runs as asked; passes the supervisor (one round trip) so that uname follows the task\'s new personality or UTS namespace',
};
const PROC_IDENTITY: Emulation = {
  handler: 'proc-identity', support: 'partial', when: identityNotMounted,
  note: 'restore, attach and run --dumpable (run bind-mounts the identity files instead and leaves opens alone): opens of /proc/version and /proc/sys/kernel/{osrelease,version,ostype} return the persona\'s text (the fd is a sealed memfd, so fstat shows a memfd); an open that fails with ENOENT and names a sysctl file the persona had and a later kernel removed (tables/sysctl-removed.json) returns that file\'s stand-in, a writable memfd kept for the tree (behaviour row sysctl-removed); other opens cost one notification round trip',
};
let removedTable: readonly SysctlRemovedEntry[] | undefined;
/** Behaviour row sysctl-removed without run's bind mounts: the persona had a sysctl file this host's kernel removed. */
const standInsNotMounted = (f: RuleFacts): boolean => {
  removedTable ??= loadSysctlRemovedFile().files;
  return identityNotMounted(f) && removedSysctlFiles(f.personaRelease, removedTable, 1).size > 0;
};
const sysctlRemovedStatRow = (name: string): Emulation => ({
  handler: 'sysctl-removed-stat', support: 'partial', when: (f) => answersStat(f.arch, name) && standInsNotMounted(f),
  note: 'restore, attach and run --dumpable under personas with removed sysctl files (tables/sysctl-removed.json; not ia32\'s old stat and lstat): a call whose last path component names one of them goes to the supervisor, which answers for the removed file as the old procfs did (stat: a 0-byte regular file with the table\'s mode, owner root; access by the mode; readlink EINVAL); every other call runs in the kernel after one round trip through the native loop',
});
const EXEC_VDSO: Emulation = {
  handler: 'exec-vdso', support: 'partial', when: otherKernel,
  note: 'runs as asked; the new image\'s vDSO note (LINUX_VERSION_CODE) is the persona\'s from its first instruction: a helper seizes the task with ptrace before the exec goes on and writes the note at PTRACE_EVENT_EXEC (notify mechanism; x86_64 images); under personas before 5.8 the same stop sets READ_IMPLIES_EXEC where those kernels did (behaviour row read-implies-exec); a task another tracer holds execs with the host\'s note, and after a failed exec the task stays traced until its next exec, signal or exit',
};
const HOST_BUILD_LACKS = 'this host\'s kernel was built without it';
/** Behaviour row sendfile-no-splice (behaviours.ts), on both ABIs of an x86_64 host (aarch64 is data only). */
const before510 = (f: RuleFacts): boolean => (f.arch === 'x86_64' || f.arch === 'ia32') && compareReleases(f.personaRelease, '5.10') < 0;
const SENDFILE_NOTE = 'personas before 5.10: every call costs a round trip (BPF cannot see what file a descriptor is); the kernel runs it unless in_fd\'s file lacks splice_read (seq files such as /proc/self/status), which 5.10 refuses with EINVAL';

/** The rules, by table name; the first whose `when` holds applies. */
export const EMULATIONS: Readonly<Record<string, readonly Emulation[]>> = {
  uname: [UNAME],
  olduname: [UNAME],
  oldolduname: [{ ...UNAME, note: UNAME.note + '; fields cut to 8 bytes as struct oldold_utsname holds' }],
  personality: [UNAME_WATCH],
  setns: [UNAME_WATCH],
  unshare: [UNAME_WATCH],
  open: [PROC_IDENTITY],
  openat: [PROC_IDENTITY],
  openat2: [PROC_IDENTITY],
  ...Object.fromEntries(STAT_CALLS.map((name) => [name, [sysctlRemovedStatRow(name)]])),
  execve: [EXEC_VDSO],
  execveat: [EXEC_VDSO],
  _sysctl: [
    {
      handler: 'sysctl', support: 'partial', when: (f) => f.personaStatus === 'present',
      note: 'binary names mapped to /proc/sys through kernel/sysctl_binary.c\'s table (5.4); string, int, ulong and uuid entries; identity entries answer with the persona; permission follows proc_sys test_perm on the task\'s euid/egid/groups, but handler-specific capability checks of individual sysctls are not reproduced; read and written in the supervisor\'s namespaces, except the removed sysctl files run adds (tables/sysctl-removed.json), read and written in the task\'s mount namespace',
    },
    {
      handler: 'sysctl-stub', support: 'full', when: (f) => f.personaStatus === 'gutted',
      note: 'as 5.5 to 5.8: arguments copied and checked (EFAULT, ENOTDIR), then ENOSYS',
    },
  ],
  lookup_dcookie: [{ handler: 'lookup_dcookie', support: 'full', when: hostLacks, note: 'removed in 5.12: EPERM without CAP_SYS_ADMIN, else EINVAL (no profiler holds cookies)' }],
  nfsservctl: [{ handler: 'nfsservctl', support: 'partial', when: hostLacks, note: 'removed in 3.1: argument checks reproduced (EFAULT, EINVAL); a valid request answers EPERM, there is no nfsd interface to serve it' }],
  iopl: [{ handler: 'iopl', support: 'full', when: hostLacks, note: `${HOST_BUILD_LACKS} (CONFIG_X86_IOPL_IOPERM): answered as for a caller without CAP_SYS_RAWIO (EINVAL above 3, 0 for level 0, else EPERM)` }],
  ioperm: [{ handler: 'ioperm', support: 'full', when: hostLacks, note: `${HOST_BUILD_LACKS} (CONFIG_X86_IOPL_IOPERM): answered as for a caller without CAP_SYS_RAWIO (EINVAL for a bad range, EPERM to turn ports on, 0 to turn them off)` }],
  init_module: [{ handler: 'init_module', support: 'partial', when: hostLacks, note: `${HOST_BUILD_LACKS} (CONFIG_MODULES): the checks a kernel with modules made (EPERM without CAP_SYS_MODULE, ENOEXEC, EFAULT); a well-formed module answers EPERM, as with modules_disabled` }],
  finit_module: [{ handler: 'finit_module', support: 'partial', when: hostLacks, note: `${HOST_BUILD_LACKS} (CONFIG_MODULES): the checks a kernel with modules made (EPERM without CAP_SYS_MODULE, EINVAL for flags, EBADF, ENOEXEC); a well-formed module answers EPERM, as with modules_disabled` }],
  delete_module: [{ handler: 'delete_module', support: 'full', when: hostLacks, note: `${HOST_BUILD_LACKS} (CONFIG_MODULES): EPERM without CAP_SYS_MODULE, EFAULT for a bad name, else ENOENT (no module is loaded)` }],
  kexec_load: [{ handler: 'kexec_load', support: 'partial', when: hostLacks, note: `${HOST_BUILD_LACKS} (CONFIG_KEXEC): the checks a kernel with kexec made (EPERM without CAP_SYS_BOOT, EINVAL for flags, segments or arch, EFAULT; no segment: 0); a well-formed image answers EPERM, as with kexec_load_disabled` }],
  kexec_file_load: [{ errno: 'EPERM', support: 'full', when: hostLacks, note: `${HOST_BUILD_LACKS} (CONFIG_KEXEC_FILE): EPERM, as for a caller without CAP_SYS_BOOT` }],
  map_shadow_stack: [{ errno: 'EOPNOTSUPP', support: 'full', when: hostLacks, note: `${HOST_BUILD_LACKS} (CONFIG_X86_USER_SHADOW_STACK): EOPNOTSUPP, as a kernel with it answers on a CPU without user shadow stacks` }],
  bdflush: [{ handler: 'bdflush', support: 'partial', when: hostLacks, note: 'removed in 5.15, a no-op before: EPERM without CAP_SYS_ADMIN, else 0; func 1 (exit the thread) answers 0 instead' }],
  io_uring_setup: [{
    errno: 'EPERM', support: 'partial', when: (f) => !f.sameKernel && !f.ioUring,
    note: 'EPERM, as a kernel with kernel.io_uring_disabled=2 answers: io_uring requests (IORING_OP_OPENAT, READ, ...) never pass through seccomp, so a ring would read the host\'s /proc/version; --allow-io-uring lets rings be made, and that leak with them',
  }],
  uselib: [{ errno: 'ENOEXEC', support: 'partial', when: hostLacks, note: 'removed (ia32, CONFIG_USELIB): ENOEXEC, what it answered for any ELF shared library; a.out libraries are not loaded' }],
  sendfile: [{ handler: 'sendfile-no-splice', support: 'partial', when: before510, note: `${SENDFILE_NOTE}; the supervisor copies to out_fd with sendfile's offset and count semantics (ia32: a 32-bit offset, cut at 2^31-1 as MAX_NON_LFS did)` }],
  sendfile64: [{ handler: 'sendfile-no-splice', support: 'partial', when: before510, note: `${SENDFILE_NOTE}; the supervisor copies to out_fd with sendfile's offset and count semantics (a 64-bit offset)` }],
  splice: [{ handler: 'sendfile-no-splice', support: 'partial', when: before510, note: `${SENDFILE_NOTE}; into a pipe only, one pass of at most the pipe's free space, as default_file_splice_read` }],
};

/** The rule that applies to a syscall the persona has, if any. */
export function emulationFor(name: string, facts: RuleFacts): Emulation | undefined {
  return EMULATIONS[name]?.find((e) => e.when === undefined || e.when(facts));
}

/** Handlers by id. The sysctl lookup comes from the tables, so it is given at start. */
export function makeHandlers(sysctl: SysctlLookup): ReadonlyMap<string, Handler> {
  const list: Handler[] = [
    uname, unameWatch, procIdentity, execVdso, iopl, ioperm, lookupDcookie, nfsservctl, bdflush, sockoptRestricted, yamaPtracer, madviseMemoryFailure, initModule, finitModule, deleteModule, kexecLoad,
    sendfileNoSplice, tiocsti, sysctlRemovedStat, strictMode, fcntlRwHint, statxMask,
    makeSysctlHandler('sysctl', sysctl, false),
    makeSysctlHandler('sysctl-stub', sysctl, true),
  ];
  return new Map(list.map((h) => [h.id, h]));
}

/** Every handler id the registry names: a test checks each exists in makeHandlers. */
export function handlerIds(): string[] {
  const ids = new Set<string>();
  for (const rows of Object.values(EMULATIONS)) for (const r of rows) if ('handler' in r) ids.add(r.handler);
  for (const id of behaviourHandlerIds()) ids.add(id);
  for (const p of ARG_POLICIES) if (p.handler !== undefined) ids.add(p.handler);
  ids.add(STRICT_MODE_HANDLER);
  return [...ids].sort();
}
