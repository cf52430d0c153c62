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

/**
 * Did a kernel of `release` know this value? 'no' only when the table proves it (released
 * before `since`, or not later than `after`); 'unknown' when the headers leave a gap or the
 * release is older than the oldest headers read and man-pages gives no date.
 */
export function knownIn(v: ArgValue, release: string): 'yes' | 'no' | 'unknown' {
  if (v.since !== undefined) return compareDotted(release, v.since) >= 0 ? 'yes' : 'no';
  if (v.after !== undefined && compareDotted(release, v.after) <= 0) return 'no';
  return compareDotted(release, v.by) >= 0 ? 'yes' : 'unknown';
}

/** The values of a group a kernel of `release` is proven not to know. */
export function unknownValues(g: ArgGroup, release: string): ArgValue[] {
  return g.values.filter((v) => knownIn(v, release) === 'no');
}
