/**
 * IMG/cr-shim.json: what CRIU's images do not record (the kernel they came from, the persona
 * the program saw, which seccomp filter is cr-shim's own), validated by
 * tables/schema/manifest.schema.json. An image without one is a plain CRIU image.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TableError } from '../errors.js';
import { validateJson } from '../tables/load.js';
import { notJsonError } from '../tables/schema-error.js';
import { mainlineOf } from '../tables/release.js';

export const MANIFEST_FILE = 'cr-shim.json';
export const MANIFEST_SCHEMA = 1;

export interface Manifest {
  schema: 1;
  kernel: { release: string; version: string; mainline: string };
  arch: string;
  persona?: { release: string; mainline: string };
  crShim: { version: string };
  criu: { version: string };
  time: string;
  shimFilter?: { index: number; sha256: string };
  shimRoot?: { pid: number };
  dump?: { pid: number; criuArgs: string[]; preDumps?: number };
  conversions?: { kind: 'drop-shim-filter' | 'clear-pdeath-signal' | 'drop-caps' | 'strict-to-filter'; detail: string; time: string }[];
  /** What `dump --terminate-unmovable` ended before the dump, and why (src/criu/unmovable/). */
  leftBehind?: {
    terminated: { pid: number; comm: string; signal: 'SIGTERM' | 'SIGKILL'; findings: { kind: string; what: string; why: string }[] }[];
    leftTree: { pid: number; comm: string }[];
  };
}

/** Check parsed JSON against tables/schema/manifest.schema.json. Throws TableError (ESCHEMA) "<file>: <JSON path>: <reason>". */
export function validateManifest(data: unknown, file: string): Manifest {
  return validateJson<Manifest>(data, 'manifest', file);
}

/** IMG/cr-shim.json, or undefined when there is none. Throws TableError (file, JSON path, reason) when it is unreadable or invalid. */
export function readManifest(imgDir: string): Manifest | undefined {
  const file = path.join(imgDir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TableError(`load manifest ${file}`, `${file}: cannot read: ${(cause as Error).message}`, { cause, code: (cause as NodeJS.ErrnoException).code });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw notJsonError('manifest', file, cause);
  }
  return validateManifest(data, file);
}

/**
 * Validate and write IMG/cr-shim.json through a temporary file and rename, so a reader never sees
 * half of it. The temporary file is created exclusively and without following a symlink
 * (O_CREAT | O_EXCL | O_NOFOLLOW): a link planted at its name by whoever can write IMG makes the
 * write fail instead of overwriting the link's target as root. Mode 0600 unless `mode` is given.
 */
export function writeManifest(imgDir: string, m: Manifest, mode = 0o600): void {
  const file = path.join(imgDir, MANIFEST_FILE);
  validateManifest(m, file);
  const tmp = `${file}.${process.pid}.tmp`;
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    fs.writeSync(fd, `${JSON.stringify(m, null, 2)}\n`);
    fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** cr-shim's version from package.json (two levels above src/criu/ and dist/criu/). */
export function crShimVersion(): string {
  const pkg = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** The running kernel as the manifest records it. */
export function thisKernel(): Manifest['kernel'] {
  const release = os.release();
  return { release, version: os.version(), mainline: mainlineOf(release) };
}

/** The architecture name as the manifest and CRIU's core_entry.march spell it. */
export function thisArch(): string {
  const a = os.arch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'aarch64' : a;
}
