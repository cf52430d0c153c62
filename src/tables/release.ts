import { UsageError } from '../errors.js';

/*
 * Kernel release strings, as uname -r and users write them:
 *
 *   RELEASE  ::= "2.6." PATCH [ "." STABLE ] [ SUFFIX ]      2.6.32, 2.6.32.27, 2.6.32-754.el6.x86_64
 *              | MAJOR "." MINOR [ "." STABLE ] [ SUFFIX ]   4.19, 3.10.0, 5.4.0-150-generic, 6.1.0-56-amd64
 *   SUFFIX   ::= ( "-" | "+" | "_" | "~" ) anything
 *
 * The mainline release is "2.6.PATCH" before 3.0 and "MAJOR.MINOR" from 3.0 on: the third
 * number of a 3.x+ release (and the fourth of a 2.6 one) is a stable update, which does not
 * change the syscall table.
 */

export interface ParsedRelease {
  /** Mainline release this kernel is based on: "2.6.32", "5.4". */
  mainline: string;
  major: number;
  minor: number;
  /** 2.6.PATCH; 0 from 3.0 on. */
  patch: number;
}

const RELEASE_RE = /^(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+_~].*)?$/;

/** Parse a kernel release. Throws UsageError for anything that is not one. */
export function parseRelease(text: string): ParsedRelease {
  const m = RELEASE_RE.exec(text.trim());
  if (!m) throw new UsageError('parse kernel release', `not a kernel release: "${text}"`, { code: 'EUSAGE', hint: 'write it as uname -r prints it, e.g. 5.4 or 2.6.32' });
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const third = m[3] === undefined ? undefined : Number(m[3]);
  if (major === 2 && minor === 6) {
    if (third === undefined) throw new UsageError('parse kernel release', `"${text}" names no 2.6 release`, { code: 'EUSAGE', hint: 'write e.g. 2.6.32' });
    return { mainline: `2.6.${third}`, major, minor, patch: third };
  }
  if (major < 3) throw new UsageError('parse kernel release', `kernel ${text} is older than 2.6, which cr-shim cannot describe`, { code: 'EUSAGE' });
  return { mainline: `${major}.${minor}`, major, minor, patch: 0 };
}

/** The mainline release a kernel release string is based on ("5.4.0-150-generic" -> "5.4"). */
export function mainlineOf(text: string): string {
  return parseRelease(text).mainline;
}

/** Order two releases by their mainline release (negative if a is older). 2.6.39 < 3.0. */
export function compareReleases(a: string, b: string): number {
  const x = parseRelease(a);
  const y = parseRelease(b);
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}

/** The last mainline release of each closed series: Linus moves on to the next major after it. */
const LAST_OF_SERIES: Readonly<Record<number, number>> = { 2: 39, 3: 19, 4: 20, 5: 19 };

/** False for releases that never existed, such as 2.6.40 or 3.20. */
export function isMainlineRelease(r: ParsedRelease): boolean {
  const last = LAST_OF_SERIES[r.major];
  if (last === undefined) return true;
  return r.major === 2 ? r.patch <= last : r.minor <= last;
}

/** The mainline release after this one ("2.6.39" -> "3.0", "5.19" -> "6.0", "6.18" -> "6.19"). */
export function nextMainline(release: string): string {
  const r = parseRelease(release);
  if (r.major === 2) return r.patch < (LAST_OF_SERIES[2] ?? 39) ? `2.6.${r.patch + 1}` : '3.0';
  const last = LAST_OF_SERIES[r.major];
  return last !== undefined && r.minor >= last ? `${r.major + 1}.0` : `${r.major}.${r.minor + 1}`;
}

export interface NearestRelease {
  /** The known mainline release to use. */
  release: string;
  /** True when the requested kernel's mainline release is itself known. */
  exact: boolean;
}

/**
 * Pick the table for a requested kernel: its own mainline release when known, else the nearest
 * LOWER known one (a kernel has at least the syscalls of the releases before it).
 * Throws UsageError, naming the nearest known releases in its hint, when the request is
 * unparseable, a release that never existed (2.6.40, 3.20), older than the oldest or newer than
 * the newest known release.
 */
export function nearestKnown(requested: string, known: readonly string[]): NearestRelease {
  const want = parseRelease(requested);
  const sorted = [...new Set(known.map(mainlineOf))].sort(compareReleases);
  const oldest = sorted[0];
  const newest = sorted[sorted.length - 1];
  if (oldest === undefined || newest === undefined) {
    throw new UsageError('pick syscall table', `no syscall tables to choose ${requested} from`, { code: 'EUSAGE' });
  }
  if (sorted.includes(want.mainline)) return { release: want.mainline, exact: true };

  const lower = sorted.filter((r) => compareReleases(r, want.mainline) < 0);
  const upper = sorted.filter((r) => compareReleases(r, want.mainline) > 0);
  const below = lower[lower.length - 1];
  const above = upper[0];
  const near = [below, above].filter((r): r is string => r !== undefined).join(', ');
  const refuse = (reason: string): UsageError =>
    new UsageError('pick syscall table', `${reason}; nearest known: ${near}`, {
      code: 'EUSAGE',
      hint: `cr-shim has tables for ${oldest} to ${newest}`,
    });
  if (!isMainlineRelease(want)) throw refuse(`there is no mainline release ${want.mainline}`);
  if (below === undefined) throw refuse(`kernel ${requested} is older than the oldest known release ${oldest}`);
  if (above === undefined) throw refuse(`kernel ${requested} is newer than the newest known release ${newest}`);
  return { release: below, exact: false };
}
