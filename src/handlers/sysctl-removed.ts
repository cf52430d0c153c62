/**
 * /proc/sys files a newer kernel removed, as the persona's kernel had them (tables/sysctl-removed.json).
 * Under run the launcher adds each to the program's private mount namespace (native/identity-mount.c):
 * a read gives the old default, a write is accepted and kept in that namespace only (no kernel
 * setting stands behind it any more: tcp_tw_recycle's code is gone, the sched tunables live in
 * debugfs, which this does not touch). Under restore, attach and run --dumpable the opens are the
 * supervisor's (proc-identity.ts, native/identity-open.c): an open that fails with ENOENT and
 * named one of these files is answered with a new description of the file's stand-in, a writable
 * memfd the supervisor keeps for the tree's life (standInFd); stat, access and readlink of them
 * are answered by sysctl-removed-stat.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import { sys } from '../native/libc.js';
import { compareReleases } from '../tables/release.js';
import type { SysctlRemovedEntry } from '../tables/load.js';
import { CAP, hasCap, type TraceeCreds } from '../native/tracee-creds.js';

/** 1 + ilog2(min(cpus, 8)): kernel/sched/fair.c get_update_sysctl_factor() under SCHED_TUNABLESCALING_LOG, the default. */
export function cpusLogFactor(cpus: number): number {
  return 1 + Math.floor(Math.log2(Math.min(Math.max(cpus, 1), 8)));
}

/** The text a read of `e` gave on a freshly booted kernel with `cpus` online CPUs. */
export function removedDefault(e: SysctlRemovedEntry, cpus: number): string {
  const v = e.scale === 'cpus-log' ? String(BigInt(e.default) * BigInt(cpusLogFactor(cpus))) : e.default;
  return v + '\n';
}

/** Where the files are: the table's paths are below it. */
export const PROC_SYS = '/proc/sys';

/**
 * The files the persona's kernel had and a later release removed: path below /proc/sys → text.
 * `cpus` defaults to this machine's (the persona's kernel would have booted on it).
 */
export function removedSysctlFiles(personaRelease: string, files: readonly SysctlRemovedEntry[], cpus = os.cpus().length): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of files) {
    if (compareReleases(personaRelease, e.removedIn) >= 0) continue;
    if (e.addedIn !== undefined && compareReleases(personaRelease, e.addedIn) < 0) continue;
    out.set(e.path, removedDefault(e, cpus));
  }
  return out;
}

/** One removed file as the supervisor presents it. */
export interface RemovedStandIn {
  /** Below /proc/sys. */
  path: string;
  /** What a read gives until the tree writes. */
  text: string;
  /** Permission bits from the table (owner root). */
  mode: number;
  /** A net/ file: net_ctl_permissions() gave CAP_NET_ADMIN the owner's bits. */
  netAdmin: boolean;
}

/** The files the persona's kernel had and a later release removed, with their permissions. */
export function removedStandIns(personaRelease: string, files: readonly SysctlRemovedEntry[], cpus = os.cpus().length): RemovedStandIn[] {
  const texts = removedSysctlFiles(personaRelease, files, cpus);
  return files.filter((e) => texts.has(e.path)).map((e) => ({ path: e.path, text: texts.get(e.path)!, mode: parseInt(e.mode, 8), netAdmin: e.path.startsWith('net/') }));
}

// <linux/memfd.h>
const MFD_CLOEXEC = 1;

/**
 * One writable memfd per stand-in, kept for the life of the thread that supervises the tree (a
 * worker thread per tree under serve): what the tree writes is read back by every later open.
 * Never closed: the native loop holds its number.
 */
const standIns = new Map<string, number>();

/** The memfd holding `s`'s value for this supervisor, created with the old default on first use. */
export function standInFd(s: RemovedStandIn): number {
  const key = `${s.path}\0${s.text}`;
  const hit = standIns.get(key);
  if (hit !== undefined) return hit;
  const fd = sys.memfd_create('cr-shim-sysctl', MFD_CLOEXEC);
  if (fd < 0) throw new Error(`memfd_create for /proc/sys/${s.path}: errno ${sys.errno()}`);
  fs.writeSync(fd, s.text);
  standIns.set(key, fd);
  return fd;
}

/**
 * The old kernel's proc_sys_permission() for a stand-in: test_perm() on the table's mode with the
 * effective ids (also for access(2), whose override of fsuid and fsgid leaves them alone): the
 * owner's bits for euid 0 (by uid, not by capability), and for net/ files also for CAP_NET_ADMIN
 * in the supervisor's user namespace (`sameUserns`, native/tracee-creds.ts); the group's for a member of group 0. `want`
 * is MAY_READ 4 | MAY_WRITE 2 | MAY_EXEC 1; MAY_EXEC on a regular file is always EACCES.
 */
export function standInPermits(s: RemovedStandIn, want: number, c: TraceeCreds, sameUserns: boolean): boolean {
  if ((want & 1) !== 0) return false;
  let m = s.mode;
  const netAdmin = s.netAdmin && sameUserns && hasCap(c, CAP.NET_ADMIN);
  if (c.euid === 0 || netAdmin) m >>= 6;
  else if (c.egid === 0 || c.groups.includes(0)) m >>= 3;
  return (want & ~m & 7) === 0;
}


/** The source name the launcher gives the tmpfs that holds the added files (native/identity-mount.c). */
const STAGE_SOURCE = 'cr-shim-identity';

/** glibc's makedev(), as Node's Stats.dev encodes a device number. */
function makedev(major: number, minor: number): number {
  return (minor & 0xff) + ((major & 0xfff) << 8) + ((minor & ~0xff) * 0x1000) + ((major & ~0xfff) * 0x100000000);
}

/**
 * Devices of the tmpfs mounts named cr-shim-identity in the task's mount namespace, from
 *   mountinfo LINE ::= ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS { TAG } "-" FSTYPE SOURCE SUPEROPTIONS
 */
function stageDevices(pid: number): Set<number> {
  const devs = new Set<number>();
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
  } catch {
    return devs;
  }
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    const [fstype, source] = (right ?? '').split(' ');
    const dev = (left ?? '').split(' ')[2]?.split(':').map(Number);
    if (fstype === 'tmpfs' && source === STAGE_SOURCE && dev?.length === 2) devs.add(makedev(dev[0]!, dev[1]!));
  }
  return devs;
}

/**
 * The removed sysctl file that run added to the task's mount namespace, opened read-write
 * through the task's root (the caller closes it); undefined when `path` is not one the persona
 * had, or the task has no such added file. The opened file must live on a tmpfs named as the
 * launcher names its own: whatever else the task may have mounted there (a bind of a host file
 * it cannot write) is never read or written with the supervisor's privilege; a tmpfs it
 * mounted itself under that name holds only its own files.
 */
export function openRemovedInTask(pid: number, path: string, personaRelease: string, files: readonly SysctlRemovedEntry[]): number | undefined {
  if (!removedSysctlFiles(personaRelease, files).has(path)) return undefined;
  let fd: number;
  try {
    fd = fs.openSync(`/proc/${pid}/root${PROC_SYS}/${path}`, fs.constants.O_RDWR | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const st = fs.fstatSync(fd);
  if (st.isFile() && stageDevices(pid).has(st.dev)) return fd;
  fs.closeSync(fd);
  return undefined;
}
