/**
 * The supervisor's peak resident set size as `--stats` reports it: the
 * process-wide high-water mark (getrusage RUSAGE_SELF ru_maxrss, which counts
 * every thread, the supervisor worker included, and no child), in KiB.
 *
 *   LINE ::= "cr-shim: peak RSS " INT " KiB" NL
 */

/** The --stats line for a peak of `maxRssKiB`. */
export function formatPeakRss(maxRssKiB: number): string {
  return `cr-shim: peak RSS ${Math.round(maxRssKiB)} KiB\n`;
}

/** Matches the line formatPeakRss writes; group 1 is the KiB count. */
export const PEAK_RSS_LINE = /^cr-shim: peak RSS (\d+) KiB$/m;

/** The KiB count of the peak RSS line in `stderr`, or undefined when it has none. */
export function parsePeakRss(stderr: string): number | undefined {
  const m = PEAK_RSS_LINE.exec(stderr);
  return m ? Number(m[1]) : undefined;
}
