/**
 * open/openat/openat2 under restore, attach and run --dumpable (a plain run
 * bind-mounts the identity files instead and never traps an open).
 *
 * Native (the default): the loop performs every open itself, as the task
 * would, and answers with the fd, or with a sealed memfd holding the persona's
 * text when the file opened is one of the identity files (decided by device
 * and inode, native/identity-open.c): no path variant, fd reopen or racing
 * thread gets around it.
 *
 * `handle` (--trace, which sends every call through TypeScript) still decides
 * by the path it reads and lets the kernel open everything else
 * (CONTINUE): a racing thread can get past it. It is for observing, not for
 * holding the identity.
 *
 * The native open also answers as the persona's kernel did where an open's flags meant
 * otherwise there (open-compat.ts): O_DIRECT on tmpfs before 6.6, openat2's __FMODE_NONOTIFY.
 * `handle` does not (it cannot open as the task): those calls get this host's answer there.
 *
 * Both also answer opens of the sysctl files the persona's kernel had and this
 * one removed (sysctl-removed.ts): natively when the open failed with ENOENT and
 * its directory, opened as the task, is the file's; in `handle` by the resolved
 * path, when the task's root has no such file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { E } from '../native/errno.js';
import { sys } from '../native/libc.js';
import { NativeKind, OpenForm } from '../native/addon-types.js';
import type { Persona } from '../persona/types.js';
import { readCreds, sameUserns } from '../native/tracee-creds.js';
import { loadSysctlRemovedFile, type SysctlRemovedEntry } from '../tables/load.js';
import { PROC_SYS, removedStandIns, standInFd, standInPermits, type RemovedStandIn } from './sysctl-removed.js';
import type { Call, Handler, HandlerContext, Reply } from './types.js';
import { openCompat } from './open-compat.js';

/** The files emulated, and what the persona's kernel would show in each. */
export function identityFiles(p: Persona): Map<string, string> {
  return new Map([
    ['/proc/version', p.procVersion],
    ['/proc/sys/kernel/osrelease', p.release + '\n'],
    ['/proc/sys/kernel/version', p.version + '\n'],
    ['/proc/sys/kernel/ostype', p.sysname + '\n'],
  ]);
}


// <asm-generic/fcntl.h>, the same for x86_64 and ia32.
const O_ACCMODE = 0o3;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const O_NONBLOCK = 0o4000;
const O_DIRECTORY = 0o200000;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
// <linux/memfd.h>, <linux/fcntl.h>
const MFD_CLOEXEC = 1;
const MFD_ALLOW_SEALING = 2;

/**
 * For mechanisms that cannot open as the task (ptrace, sigsys): the last path components worth a
 * look in TypeScript, and the argument holding the path, as the old path pre-filter used them.
 */
export const WATCHED_NAMES: readonly string[] = ['version', 'osrelease', 'ostype'];
export const pathArgOf = (form: number): number => (form === OpenForm.open ? 0 : 1);

/** Where each open-family call keeps its dirfd, path and flags. */
function decode(call: Call): { dirfd: number; pathArg: bigint; flags: number } | 'kernel' {
  const a = call.args;
  switch (call.name) {
    case 'open':
      return { dirfd: AT_FDCWD, pathArg: a[0]!, flags: Number(a[1]! & 0xffffffffn) };
    case 'openat':
      return { dirfd: Number(BigInt.asIntN(32, a[0]!)), pathArg: a[1]!, flags: Number(a[2]! & 0xffffffffn) };
    case 'openat2': {
      // struct open_how { u64 flags; u64 mode; u64 resolve; }: flags is the first word. A size
      // below OPEN_HOW_SIZE_VER0 (24) or an unreadable struct is the kernel's to refuse, with its
      // own errno (EINVAL, E2BIG, EFAULT): let the call run.
      if (a[3]! < 24n) return 'kernel';
      const how = call.mem.read(a[2]!, 8);
      if (how === null) return 'kernel';
      return { dirfd: Number(BigInt.asIntN(32, a[0]!)), pathArg: a[1]!, flags: Number(how.readBigUInt64LE(0) & 0xffffffffn) };
    }
    default:
      throw new Error(`proc-identity cannot decode ${call.name}`);
  }
}

/** Resolve a path as the task sees it: relative to its cwd or dirfd, symlinks in the directory part followed. */
export function resolveTaskPath(pid: number, dirfd: number, p: string): string | null {
  let base: string;
  if (p.startsWith('/')) base = '/';
  else {
    try {
      base = fs.readlinkSync(dirfd === AT_FDCWD ? `/proc/${pid}/cwd` : `/proc/${pid}/fd/${dirfd}`);
    } catch {
      return null;
    }
  }
  const joined = path.resolve(base, p);
  try {
    return path.join(fs.realpathSync(path.dirname(joined)), path.basename(joined));
  } catch {
    return joined;
  }
}

// <linux/fcntl.h>: F_ADD_SEALS and the seals that make a memfd's content final.
const F_ADD_SEALS = 1033;
const F_SEAL_ALL = 0x0001 | 0x0002 | 0x0004 | 0x0008; // SEAL, SHRINK, GROW, WRITE

/** One sealed memfd per distinct text, kept for the supervisor's life: each open only reopens it. */
const sealed = new Map<string, number>();

function sealedMemfd(text: string): number {
  const hit = sealed.get(text);
  if (hit !== undefined) return hit;
  const mfd = sys.memfd_create('cr-shim-proc', MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) throw new Error(`memfd_create: errno ${sys.errno()}`);
  fs.writeSync(mfd, text);
  if (sys.fcntl(mfd, F_ADD_SEALS, F_SEAL_ALL) !== 0) throw new Error(`fcntl(F_ADD_SEALS): errno ${sys.errno()}`);
  sealed.set(text, mfd);
  return mfd;
}

/**
 * A fresh read-only open file description of the sealed memfd holding text, so
 * every open in the task gets its own offset, as a /proc file would give. The
 * fd comes from libc open and is closed with libc close by whoever sends it
 * (Node warns when fs closes a number it did not open).
 */
export function readOnlyFdFor(text: string): number {
  const fd = sys.open(`/proc/self/fd/${sealedMemfd(text)}`, O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw new Error(`open memfd read-only: errno ${sys.errno()}`);
  return fd;
}

let removedTable: readonly SysctlRemovedEntry[] | undefined;

/** The removed sysctl files the persona had, as the supervisor presents them. */
export function personaStandIns(p: Persona): RemovedStandIn[] {
  removedTable ??= loadSysctlRemovedFile().files;
  return removedStandIns(p.mainline, removedTable);
}

/** The stand-in at absolute path `resolved` when the task's root has no file there; else undefined. */
export function standInAt(pid: number, resolved: string, p: Persona): RemovedStandIn | undefined {
  const s = personaStandIns(p).find((x) => `${PROC_SYS}/${x.path}` === resolved);
  if (s === undefined) return undefined;
  try {
    fs.lstatSync(`/proc/${pid}/root${resolved}`);
    return undefined; // the host's kernel has the file: the task reads it
  } catch {
    return s;
  }
}

/** An open of a stand-in, with the old kernel's checks (as native/identity-open.c added_answer). */
function openStandIn(call: Call, s: RemovedStandIn, flags: number): Reply {
  if ((flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return { kind: 'error', errno: E.EEXIST! };
  if ((flags & O_DIRECTORY) !== 0) return { kind: 'error', errno: E.ENOTDIR! };
  const creds = readCreds(call.pid);
  if (creds === null || !call.stillValid()) return { kind: 'error', errno: E.ENOENT! };
  const acc = flags & O_ACCMODE;
  const want = (acc === O_RDONLY ? 4 : acc === O_WRONLY ? 2 : 6) | ((flags & O_TRUNC) !== 0 ? 2 : 0);
  if ((flags & O_PATH) === 0 && !standInPermits(s, want, creds, sameUserns(call.pid))) return { kind: 'error', errno: E.EACCES! };
  const keep = (flags & O_PATH) !== 0 ? O_PATH : flags & (O_ACCMODE | O_TRUNC | O_APPEND | O_NONBLOCK);
  const fd = sys.open(`/proc/self/fd/${standInFd(s)}`, keep | O_CLOEXEC);
  if (fd < 0) return { kind: 'error', errno: sys.errno() };
  return { kind: 'addfd', fd, cloexec: (flags & O_CLOEXEC) !== 0 };
}

export const procIdentity: Handler = {
  id: 'proc-identity',
  handle(call: Call, ctx: HandlerContext): Reply {
    const d = decode(call);
    if (d === 'kernel') return { kind: 'continue' };
    const p = call.mem.readString(d.pathArg);
    // Unreadable or overlong paths: let the kernel give its own EFAULT or ENAMETOOLONG.
    if (p === null || p === 'toolong') return { kind: 'continue' };
    const resolved = resolveTaskPath(call.pid, d.dirfd, p);
    const standIn = resolved === null ? undefined : standInAt(call.pid, resolved, ctx.persona);
    if (standIn !== undefined) return openStandIn(call, standIn, d.flags);
    const text = resolved === null ? undefined : identityFiles(ctx.persona).get(resolved);
    const readOnly = (d.flags & O_ACCMODE) === O_RDONLY && (d.flags & (O_CREAT | O_DIRECTORY | O_PATH)) === 0;
    if (text === undefined || !readOnly) return { kind: 'continue' };
    // The path was resolved through /proc/PID: it was the task's only if the notification is still
    // valid now (ADDFD checks the id again in the kernel, atomically with installing the fd).
    if (!call.stillValid()) return { kind: 'error', errno: E.ENOENT! };
    return { kind: 'addfd', fd: readOnlyFdFor(text), cloexec: (d.flags & O_CLOEXEC) !== 0 };
  },
  native(_arch, _nr, name, ctx) {
    const form = name === 'open' ? OpenForm.open : name === 'openat' ? OpenForm.openat : OpenForm.openat2;
    // With the files bind-mounted the open is routed only for the compat answers below: no memfds,
    // which would also keep the compiled run out of the session cache (run-cache.ts isCacheable).
    const identity = ctx.identityMounted ? [] : [...identityFiles(ctx.persona)].map(([file, text]) => ({ path: file.slice(1), fd: sealedMemfd(text) }));
    const added = ctx.identityMounted ? [] : personaStandIns(ctx.persona).map((s) => ({ path: `${PROC_SYS}/${s.path}`.slice(1), fd: standInFd(s), mode: s.mode, netAdmin: s.netAdmin }));
    // The persona's other answers inside an open (behaviour rows o-direct-tmpfs, openat2-fmode-nonotify).
    const compat = openCompat(ctx.persona.mainline);
    return { kind: NativeKind.openIdentity, arg: form, identity: [...identity, ...added], ...compat };
  },
};
