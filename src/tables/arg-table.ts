/**
 * The argument-level tables (tables/args/<arch>.json, written by scripts/gen-arg-tables.ts):
 * values that select behaviour inside a syscall, and which kernel releases know each one.
 */
import path from 'node:path';
import type { TableSource } from './types.js';

export interface ArgValue {
  name: string;
  value: number;
  /** Other names for the same value. */
  aliases?: string[];
  /** The release that added it (man-pages). */
  since?: string;
  /** Not in this release's headers. */
  after?: string;
  /** In this release's headers. */
  by: string;
  /** Where since/after/by came from. */
  source: string;
  note?: string;
  /**
   * A syscall of the group that learned the value later than the others (getsockopt of an
   * option setsockopt already took): its own date, which the group-wide one does not override.
   */
  syscalls?: Record<string, SyscallDate>;
}

/** The release one syscall learned a value in, from the kernel commit that taught it. */
export interface SyscallDate {
  since: string;
  /**
   * Stable releases the commit was backported to ("6.1.72"), or only their series ("6.6") where
   * the level is not known: a release of that series before `since` is left open.
   */
  stable?: string[];
  source: string;
}

export interface ArgGroup {
  title: string;
  syscalls: string[];
  /** Index of the argument the values go in. */
  arg: number;
  /** value: one of the values; flag: bits OR'ed together. */
  kind: 'value' | 'flag';
  headers: string[];
  /** Names the pattern matched that are not members, each with why. */
  excluded?: string[];
  values: ArgValue[];
}

export interface ArgTable {
  arch: 'x86_64';
  /** Mainline releases whose headers were read, oldest first. */
  releases: string[];
  sources: TableSource[];
  notes?: string[];
  groups: Record<string, ArgGroup>;
}

/** tables/args/<arch>.json */
export function argTableFileName(tablesDir: string, arch: string): string {
  return path.join(tablesDir, 'args', `${arch}.json`);
}

/** Dotted releases compared numerically; man-pages dates go back before 2.6 ("2.1.57"). */
export function compareDotted(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** "6.1.72" → "6.1": the stable series a release belongs to. */
const seriesOf = (release: string): string => release.split('.').slice(0, 2).join('.');

/**
 * Did a kernel of `release` know this value (for `syscall`, when given)? 'no' only when the
 * table proves it (released before `since`, or not later than `after`); 'unknown' when the
 * headers leave a gap, the release is older than the oldest headers read and man-pages gives no
 * date, or a stable backport of the syscall's own commit reached the release's series (a
 * mainline release names no stable level, so the table cannot say which side it is on).
 */
export function knownIn(v: ArgValue, release: string, syscall?: string): 'yes' | 'no' | 'unknown' {
  const group = knownInGroup(v, release);
  const own = syscall === undefined ? undefined : v.syscalls?.[syscall];
  if (own === undefined || group === 'no') return group;
  if (compareDotted(release, own.since) >= 0) return group;
  const backport = own.stable?.find((s) => seriesOf(s) === seriesOf(release));
  if (backport === undefined) return 'no';
  const levelled = backport.split('.').length > 2 && release.split('.').length > 2;
  return levelled && compareDotted(release, backport) >= 0 ? group : 'unknown';
}

function knownInGroup(v: ArgValue, release: string): 'yes' | 'no' | 'unknown' {
  if (v.since !== undefined) return compareDotted(release, v.since) >= 0 ? 'yes' : 'no';
  if (v.after !== undefined && compareDotted(release, v.after) <= 0) return 'no';
  return compareDotted(release, v.by) >= 0 ? 'yes' : 'unknown';
}

/** The values of a group a kernel of `release` is proven not to know (for `syscall`, when given). */
export function unknownValues(g: ArgGroup, release: string, syscall?: string): ArgValue[] {
  return g.values.filter((v) => knownIn(v, release, syscall) === 'no');
}
