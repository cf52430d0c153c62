/**
 * tables/personas/<release>.json: a real kernel build's identity and probed syscall surface,
 * as validated by tables/schema/persona.schema.json. Loaded only when a requested release
 * matches a file name exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TableError } from '../errors.js';
import { validateJson } from '../tables/load.js';
import { defaultTablesDir } from '../tables/paths.js';
import { noteTableRead } from '../tables/read-log.js';
import { notJsonError } from '../tables/schema-error.js';

export interface PersonaFile {
  release: string;
  version: string;
  procVersion: string;
  sysname: string;
  machine: 'x86_64';
  mainline: string;
  source: {
    kind: 'debian-package' | 'host' | 'other';
    suite?: string;
    package?: string;
    packageVersion?: string;
    captured: string;
    method: string;
  };
  probe: {
    arch: 'x86_64';
    maxNr: number;
    unsafe: number[];
    /** Calls the mainline table has that this build answers with ENOSYS. */
    absent: string[];
    /** Calls the mainline table lacks that this build answers. */
    extra: string[];
    outcomes: Record<string, string>;
    /** After ENOSYS: number → outcome with every argument -1 (a capture from before the recheck has none). */
    rechecks?: Record<string, string>;
  };
}

/** Release strings that can name a file: no "/", no leading ".". */
const SAFE_RELEASE = /^[A-Za-z0-9_+~-][A-Za-z0-9._+~-]*$/;

export function personasDir(tablesDir: string = defaultTablesDir()): string {
  return path.join(tablesDir, 'personas');
}

export function personaFileName(release: string, tablesDir?: string): string {
  return path.join(personasDir(tablesDir), `${release}.json`);
}

/** Check a persona object against tables/schema/persona.schema.json; throws TableError (ESCHEMA) naming `file`, the JSON path and the reason. */
export function validatePersonaFile(data: unknown, file: string): PersonaFile {
  return validateJson<PersonaFile>(data, 'persona', file);
}

/** The captured persona for exactly this release, or undefined when there is none. */
export function loadPersonaFile(release: string, tablesDir?: string): PersonaFile | undefined {
  if (!SAFE_RELEASE.test(release)) return undefined;
  const file = personaFileName(release, tablesDir);
  noteTableRead(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TableError(`load persona ${release}`, `cannot read ${file}`, { cause, code: (cause as NodeJS.ErrnoException).code });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw notJsonError('persona', file, cause);
  }
  const p = validatePersonaFile(data, file);
  if (p.release !== release) {
    throw new TableError(`load persona ${release}`, `${file} describes ${p.release}`, { code: 'EINVAL', hint: 'name the file after its release' });
  }
  return p;
}
