/**
 * Which files under tables/ this process has read (or looked for): the session cache
 * (src/supervisor/run-cache.ts) records them with a compiled run and checks only those on
 * a hit, instead of every table file.
 */
const reads = new Set<string>();

export function noteTableRead(file: string): void {
  reads.add(file);
}

export function tableFilesRead(): string[] {
  return [...reads];
}
