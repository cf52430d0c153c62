/**
 * tables/personas/<release>.json: a real kernel build's identity and probed syscall surface,
 * as validated by tables/schema/persona.schema.json. Loaded only when a requested release
 * matches a file name exactly.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { TableError } from '../errors.js';
import { defaultTablesDir } from '../tables/paths.js';

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

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
let validator: Validate | undefined;

// Ajv is loaded only here, on first use: most runs name no captured persona, and compiling a
// schema costs about a hundred milliseconds.
function validate(data: unknown, file: string): PersonaFile {
  if (!validator) {
    const require = createRequire(import.meta.url);
    const Ajv = (require('ajv') as { default: new (o: object) => { compile(s: object): Validate } }).default;
    const schema = JSON.parse(fs.readFileSync(path.join(defaultTablesDir(), 'schema', 'persona.schema.json'), 'utf8')) as object;
    validator = new Ajv({ allErrors: false, strict: false }).compile(schema);
  }
  if (!validator(data)) {
    const e = validator.errors?.[0];
    throw new TableError(`load persona ${path.basename(file)}`, `${file}: ${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}`, {
      code: 'EINVAL',
      hint: 'recapture it with `cr-shim persona capture` or fix it against tables/schema/persona.schema.json',
    });
  }
  return data as PersonaFile;
}

/** Check a persona object against the schema; throws TableError naming `file`. */
export function validatePersonaFile(data: unknown, file: string): PersonaFile {
  return validate(data, file);
}

/** The captured persona for exactly this release, or undefined when there is none. */
export function loadPersonaFile(release: string, tablesDir?: string): PersonaFile | undefined {
  if (!SAFE_RELEASE.test(release)) return undefined;
  const file = personaFileName(release, tablesDir);
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
    throw new TableError(`load persona ${release}`, `${file} is not JSON`, { cause, code: 'EINVAL', hint: 'recapture it with `cr-shim persona capture`' });
  }
  const p = validate(data, file);
  if (p.release !== release) {
    throw new TableError(`load persona ${release}`, `${file} describes ${p.release}`, { code: 'EINVAL', hint: 'name the file after its release' });
  }
  return p;
}
