/**
 * /proc/sys files a newer kernel removed, as the persona's kernel had them (tables/sysctl-removed.json).
 * Under run the launcher adds each to the program's private mount namespace (native/identity-mount.c):
 * a read gives the old default, a write is accepted and kept in that namespace only (no kernel
 * setting stands behind it any more: tcp_tw_recycle's code is gone, the sched tunables live in
 * debugfs, which this does not touch). Under restore and attach nothing is added: opens of these
 * files fail with ENOENT as on the host (see docs/BEHAVIOUR.md).
 */
import os from 'node:os';
import { compareReleases } from '../tables/release.js';
import type { SysctlRemovedEntry } from '../tables/load.js';

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
