/**
 * What a persona's kernel did otherwise inside an open, answered by the supervisor's open as the
 * task (proc-identity's native verdict, native/identity-open.c struct open_compat). Pure data and
 * its reading: the behaviour rows o-direct-tmpfs and openat2-fmode-nonotify (behaviours.ts) route
 * the calls, this says what the open does with them.
 */
import { compareReleases } from '../tables/release.js';

/** <asm-generic/fcntl.h> (x86_64). */
export const O_DIRECT = 0o40000;

/** tmpfs learned O_DIRECT in 6.6 (commit e88e0d366f9c "tmpfs: trivial support for direct IO"). */
export const TMPFS_DIRECT_IO_SINCE = '6.6';

/**
 * __FMODE_NONOTIFY in openat2's how.flags: include/linux/fcntl.h VALID_OPEN_FLAGS held it, so
 * openat2 (5.6) accepted it and do_dentry_open() made it FMODE_NONOTIFY (the open file sends no
 * fsnotify events). FMODE_NONOTIFY was bit 26 (0x4000000); the 6.14 fsnotify rework ("fsnotify:
 * opt-in for permission events at file open time") moved it to bit 25, and Debian's 6.12.y
 * carries that change (the oracle's 6.12.118 guest accepts bit 25, not 26). A later kernel
 * dropped it from the open flags (this host's openat2 refuses both with EINVAL); which release
 * did is not pinned here, so personas from 6.13 on get this host's answer.
 */
export const OPENAT2_NONOTIFY: readonly { before: string; bit: number }[] = [
  { before: '6.12', bit: 0x4000000 },
  { before: '6.13', bit: 0x2000000 },
];

/** The first release whose openat2 cr-shim no longer gives a __FMODE_NONOTIFY bit. */
export const OPENAT2_NONOTIFY_UNTIL = OPENAT2_NONOTIFY[OPENAT2_NONOTIFY.length - 1]!.before;

export interface OpenCompat {
  /** O_DIRECT on a file whose mapping is shmem's (tmpfs, memfd, devtmpfs nodes) answers EINVAL. */
  directEinval: boolean;
  /** openat2 how.flags bits accepted and dropped before the open (0: none). */
  openat2Accept: number;
}

/** What the open does otherwise under a persona of mainline `release`. */
export function openCompat(release: string): OpenCompat {
  const nonotify = OPENAT2_NONOTIFY.find((r) => compareReleases(release, r.before) < 0);
  return {
    directEinval: compareReleases(release, TMPFS_DIRECT_IO_SINCE) < 0,
    openat2Accept: nonotify?.bit ?? 0,
  };
}
