import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Arch } from '../arch.js';

/**
 * The package's tables/ directory. This file sits at src/tables/paths.ts (vitest, tsx) or
 * dist/tables/paths.js (compiled): two levels below the package root either way.
 * CR_SHIM_TABLES overrides it.
 */
export function defaultTablesDir(): string {
  const override = process.env['CR_SHIM_TABLES'];
  if (override) return path.resolve(override);
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'tables');
}

/** tables/<arch>/linux-<release>.json */
export function tableFileName(tablesDir: string, arch: Arch, release: string): string {
  return path.join(tablesDir, arch, `linux-${release}.json`);
}

/** Release named by a table file name ("linux-5.10.json" -> "5.10"), or undefined. */
export function releaseOfTableFile(fileName: string): string | undefined {
  const m = /^linux-(\d+\.\d+(?:\.\d+)?)\.json$/.exec(fileName);
  return m?.[1];
}
