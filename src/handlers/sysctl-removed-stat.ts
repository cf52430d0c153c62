/**
 * stat, statx, access and readlink of the sysctl files the persona's kernel had and this one
 * removed (sysctl-removed.ts), under restore, attach and run --dumpable, where no file stands at
 * their paths (under run the bind mounts answer these calls). sysctl(8) stats a file before it
 * reads or writes it (procps-ng: "cannot stat /proc/sys/..."), and glibc's realpath reads each
 * component's link.
 *
 * The native loop sends only calls whose last path component is one of these files' names
 * (pathWatch); every other call runs in the kernel. Here the path is resolved as proc-identity's
 * handle resolves it (the task's cwd or dirfd, symlinks of the directory part followed in the
 * supervisor's view) and, when it is a stand-in's path and the task's root has no file there,
 * answered as the old kernel's procfs answered for a sysctl file (fs/proc/proc_sysctl.c):
 *   stat family  proc_sys_getattr(): S_IFREG | the table's mode, nlink 1, uid 0, gid 0, size 0,
 *                blksize 1024 (procfs's s_blocksize), blocks 0, the times of the lookup (a fresh
 *                inode's), st_dev of the task's /proc/sys; the inode number is get_next_ino()'s
 *                there, any number: here one stable per file
 *   access       proc_sys_permission(): the table's mode by euid and egid, which faccessat's
 *                override of fsuid and fsgid leaves alone; MAY_EXEC on a file is EACCES
 *   readlink     EINVAL: not a symlink
 * statx takes one more step: a call this handler leaves to the kernel whose mask asks a bit the
 * persona answered otherwise goes to statx-mask's answer (natively: pathWatch's statxDrop, which
 * the loop answers as statxPersona; in `handle`: statxMask.handle), since this handler's route
 * takes the number before that row's argument rule could.
 * Anything else (a stand-in the host has, bad flags, a path elsewhere) runs in the kernel: a
 * CONTINUE here answers a stat, which shows nothing of the host's identity if another thread
 * swaps the path meanwhile.
 *
 * ia32: stat64, lstat64, fstatat64 (struct stat64), statx, the access calls and readlink; not
 * ia32's stat and lstat (struct compat_stat with 16-bit ids, which glibc no longer calls).
 *
 * struct stat (x86_64, 144 bytes): dev u64 @0, ino u64 @8, nlink u64 @16, mode u32 @24, uid u32 @28,
 *   gid u32 @32, rdev u64 @40, size i64 @48, blksize i64 @56, blocks i64 @64, atime @72, atime_nsec
 *   @80, mtime @88, mtime_nsec @96, ctime @104, ctime_nsec @112, unused @120..144
 * struct statx (256 bytes): mask u32 @0, blksize u32 @4, attributes u64 @8, nlink u32 @16, uid u32
 *   @20, gid u32 @24, mode u16 @28, ino u64 @32, size u64 @40, blocks u64 @48, attributes_mask u64
 *   @56, atime/btime/ctime/mtime {i64 sec, u32 nsec, i32} @64/@80/@96/@112, rdev major/minor u32
 *   @128/@132, dev major/minor u32 @136/@140, the rest zero
 * struct stat64 (ia32, packed, 96 bytes): dev u64 @0, __st_ino u32 @12, mode u32 @16, nlink u32 @20,
 *   uid u32 @24, gid u32 @28, rdev u64 @32, size i64 @44, blksize u32 @52, blocks u64 @56, atime
 *   u32 @64, atime_nsec @68, mtime @72, mtime_nsec @76, ctime @80, ctime_nsec @84, ino u64 @88
 */
import fs from 'node:fs';
import { E } from '../native/errno.js';
import { NativeKind } from '../native/addon-types.js';
import { readCreds, sameUserns } from '../native/tracee-creds.js';
import { fnv1a64 } from '../fnv1a.js';
import { personaStandIns, resolveTaskPath, standInAt } from './proc-identity.js';
import { standInPermits, type RemovedStandIn } from './sysctl-removed.js';
import type { Arch } from '../arch.js';
import type { Call, Handler, HandlerContext, Reply } from './types.js';
import { personaDrops, statxMask } from './statx-mask.js';

const AT_FDCWD = -100;
// <linux/fcntl.h>
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EACCESS = 0x200;
const AT_NO_AUTOMOUNT = 0x800;
const AT_EMPTY_PATH = 0x1000;
const AT_STATX_SYNC_TYPE = 0x6000;
// <linux/stat.h>
const S_IFREG = 0o100000;
const STATX_BASIC_STATS = 0x7ff;
/** procfs's s_blocksize (fs/proc/root.c proc_fill_super). */
const PROC_BLOCKSIZE = 1024;

type Form = 'stat' | 'stat64' | 'statx' | 'access' | 'readlink';
interface Layout { form: Form; dirfd?: number; path: number; flags?: number; allowed: number; buf?: number; mode?: number }

const AT_STAT = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH;
/** The calls both ABIs have, with the same arguments. */
const SHARED: Readonly<Record<string, Layout>> = {
  statx: { form: 'statx', dirfd: 0, path: 1, flags: 2, buf: 4, allowed: AT_STAT | AT_STATX_SYNC_TYPE },
  access: { form: 'access', path: 0, mode: 1, allowed: 0 },
  faccessat: { form: 'access', dirfd: 0, path: 1, mode: 2, allowed: 0 },
  faccessat2: { form: 'access', dirfd: 0, path: 1, mode: 2, flags: 3, allowed: AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH },
  readlink: { form: 'readlink', path: 0, allowed: 0 },
  readlinkat: { form: 'readlink', dirfd: 0, path: 1, allowed: 0 },
};

/** Where each call keeps its dirfd, path and flags, and what it asks, by ABI and table name. */
const CALLS: Readonly<Partial<Record<Arch, Readonly<Record<string, Layout>>>>> = {
  x86_64: {
    stat: { form: 'stat', path: 0, buf: 1, allowed: 0 },
    lstat: { form: 'stat', path: 0, buf: 1, allowed: 0 },
    newfstatat: { form: 'stat', dirfd: 0, path: 1, buf: 2, flags: 3, allowed: AT_STAT },
    ...SHARED,
  },
  ia32: {
    stat64: { form: 'stat64', path: 0, buf: 1, allowed: 0 },
    lstat64: { form: 'stat64', path: 0, buf: 1, allowed: 0 },
    fstatat64: { form: 'stat64', dirfd: 0, path: 1, buf: 2, flags: 3, allowed: AT_STAT },
    ...SHARED,
  },
};

/** Does this handler answer `name` on `arch`? */
export function answersStat(arch: Arch, name: string): boolean {
  return CALLS[arch]?.[name] !== undefined;
}

/** Every table name this handler answers on some ABI. */
export const STAT_CALLS: readonly string[] = [...new Set(Object.values(CALLS).flatMap((c) => Object.keys(c)))].sort();

/** A stable inode number per file, as one boot's get_next_ino() would keep it while cached. */
function inodeOf(s: RemovedStandIn): bigint {
  return (fnv1a64(s.path) & 0xffffffn) | 0x1000000n;
}

/** glibc's major() and minor() of a Node Stats.dev. */
function devParts(dev: number): [number, number] {
  const d = BigInt(dev);
  return [Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)), Number((d & 0xffn) | ((d >> 12n) & ~0xffn))];
}

function statBytes(s: RemovedStandIn, dev: number, now: { sec: bigint; nsec: number }): Buffer {
  const b = Buffer.alloc(144);
  const [major, minor] = devParts(dev);
  // The kernel's new_encode_dev() for st_dev.
  b.writeBigUInt64LE(BigInt((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)), 0);
  b.writeBigUInt64LE(inodeOf(s), 8);
  b.writeBigUInt64LE(1n, 16);
  b.writeUInt32LE(S_IFREG | s.mode, 24);
  b.writeBigInt64LE(BigInt(PROC_BLOCKSIZE), 56);
  for (const off of [72, 88, 104]) {
    b.writeBigInt64LE(now.sec, off);
    b.writeBigInt64LE(BigInt(now.nsec), off + 8);
  }
  return b;
}

function stat64Bytes(s: RemovedStandIn, dev: number, now: { sec: bigint; nsec: number }): Buffer {
  const b = Buffer.alloc(96);
  const [major, minor] = devParts(dev);
  const ino = inodeOf(s);
  b.writeBigUInt64LE(BigInt((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)), 0);
  b.writeUInt32LE(Number(ino & 0xffffffffn), 12);
  b.writeUInt32LE(S_IFREG | s.mode, 16);
  b.writeUInt32LE(1, 20);
  b.writeUInt32LE(PROC_BLOCKSIZE, 52);
  for (const off of [64, 72, 80]) {
    b.writeUInt32LE(Number(BigInt.asUintN(32, now.sec)), off);
    b.writeUInt32LE(now.nsec, off + 4);
  }
  b.writeBigUInt64LE(ino, 88);
  return b;
}

function statxBytes(s: RemovedStandIn, dev: number, now: { sec: bigint; nsec: number }): Buffer {
  const b = Buffer.alloc(256);
  const [major, minor] = devParts(dev);
  b.writeUInt32LE(STATX_BASIC_STATS, 0);
  b.writeUInt32LE(PROC_BLOCKSIZE, 4);
  b.writeUInt32LE(1, 16);
  b.writeUInt16LE(S_IFREG | s.mode, 28);
  b.writeBigUInt64LE(inodeOf(s), 32);
  for (const off of [64, 96, 112]) {
    b.writeBigInt64LE(now.sec, off);
    b.writeUInt32LE(now.nsec, off + 8);
  }
  b.writeUInt32LE(major, 136);
  b.writeUInt32LE(minor, 140);
  return b;
}

function nowParts(): { sec: bigint; nsec: number } {
  const ns = BigInt(Date.now()) * 1_000_000n;
  return { sec: ns / 1_000_000_000n, nsec: Number(ns % 1_000_000_000n) };
}

export const sysctlRemovedStat: Handler = {
  id: 'sysctl-removed-stat',
  handle(call: Call, ctx: HandlerContext): Reply {
    const r = answerStat(call, ctx);
    // This handler takes every statx of the tree: what it leaves to the kernel gets the persona's mask (behaviour row statx-mask).
    return r.kind === 'continue' && call.name === 'statx' ? statxMask.handle(call, ctx) : r;
  },
  native(arch, _nr, name, ctx) {
    const c = CALLS[arch]?.[name];
    if (c === undefined) return undefined;
    const names = [...new Set(personaStandIns(ctx.persona).map((s) => s.path.slice(s.path.lastIndexOf('/') + 1)))];
    if (c.form !== 'statx') return { kind: NativeKind.pathWatch, arg: c.path, names };
    const { drop, btimeTmpfs } = personaDrops(ctx.persona.mainline);
    return { kind: NativeKind.pathWatch, arg: c.path, names, statxDrop: drop, statxBtimeTmpfs: btimeTmpfs };
  },
};

/** The old procfs's answer for a stand-in's path; continue for anything else. */
function answerStat(call: Call, ctx: HandlerContext): Reply {
  const c = CALLS[call.arch]?.[call.name];
  if (c === undefined) return { kind: 'continue' };
  const flags = c.flags === undefined ? 0 : Number(BigInt.asUintN(32, call.args[c.flags]!));
  if ((flags & ~c.allowed) !== 0) return { kind: 'continue' }; // the kernel's EINVAL
  const p = call.mem.readString(call.args[c.path]!);
  if (p === null || p === 'toolong' || p === '') return { kind: 'continue' };
  const dirfd = c.dirfd === undefined ? AT_FDCWD : Number(BigInt.asIntN(32, call.args[c.dirfd]!));
  const resolved = resolveTaskPath(call.pid, dirfd, p);
  const s = resolved === null ? undefined : standInAt(call.pid, resolved, ctx.persona);
  if (s === undefined) return { kind: 'continue' };
  if (c.form === 'readlink') return { kind: 'error', errno: E.EINVAL! };
  if (c.form === 'access') {
    const mode = Number(BigInt.asUintN(32, call.args[c.mode!]!));
    if ((mode & ~7) !== 0) return { kind: 'continue' };
    if (mode === 0) return { kind: 'return', val: 0n };
    const creds = readCreds(call.pid);
    if (creds === null || !call.stillValid()) return { kind: 'error', errno: E.ENOENT! };
    const ok = standInPermits(s, mode & 7, creds, sameUserns(call.pid));
    return ok ? { kind: 'return', val: 0n } : { kind: 'error', errno: E.EACCES! };
  }
  let dev: number;
  try {
    // lstat: a symlink the task put there is not followed with the supervisor's privilege.
    dev = fs.lstatSync(`/proc/${call.pid}/root/proc/sys`).dev;
  } catch {
    return { kind: 'continue' };
  }
  const now = nowParts();
  const bytes = c.form === 'stat' ? statBytes(s, dev, now) : c.form === 'stat64' ? stat64Bytes(s, dev, now) : statxBytes(s, dev, now);
  // The pid may have been reused since the path was read: write only into the same task.
  if (!call.stillValid()) return { kind: 'error', errno: E.ENOENT! };
  return call.mem.write(call.args[c.buf!]!, bytes) ? { kind: 'return', val: 0n } : { kind: 'error', errno: E.EFAULT! };
}
