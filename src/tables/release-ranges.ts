import { compareReleases, mainlineOf, nextMainline } from './release.js';

/** A run of consecutive mainline releases, e.g. 2.6.16 to 6.18 (85 releases). */
export interface ReleaseRange {
  from: string;
  to: string;
  count: number;
}

/**
 * Group releases into runs of consecutive mainline releases, oldest first. "Consecutive" follows
 * Linus's numbering: 2.6.39 is followed by 3.0, 3.19 by 4.0, 4.20 by 5.0, 5.19 by 6.0.
 */
export function releaseRanges(releases: readonly string[]): ReleaseRange[] {
  const sorted = [...new Set(releases.map(mainlineOf))].sort(compareReleases);
  const out: ReleaseRange[] = [];
  for (const r of sorted) {
    const cur = out[out.length - 1];
    if (cur && nextMainline(cur.to) === r) {
      cur.to = r;
      cur.count++;
    } else {
      out.push({ from: r, to: r, count: 1 });
    }
  }
  return out;
}

/** "2.6.16-6.18" or "5.4" for one release. */
export function rangeText(r: ReleaseRange): string {
  return r.from === r.to ? r.from : `${r.from}-${r.to}`;
}
