import fs from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { TableError } from '../errors.js';
import { defaultTablesDir } from './paths.js';
import { noteTableRead } from './read-log.js';
import { schemaError, type SchemaName } from './schema-error.js';
import * as precompiled from './schema-validators.generated.js';
import type { SyscallTable, TableSource } from './types.js';
import { argTableFileName, type ArgTable } from './arg-table.js';

/** tables/releases.json: when each mainline release came out, and a compiler of its day. */
export interface ReleasesFile {
  sources: TableSource[];
  notes?: string[];
  releases: Record<string, { date: string; gcc: string }>;
}

/** One binary sysctl name, e.g. { name: [1, 2], path: "kernel/osrelease", type: "string" }. */
export interface SysctlBinaryEntry {
  /** Numeric path; "{ifindex}" stands for a network interface index. */
  name: (number | '{ifindex}')[];
  /** Path below /proc/sys; "{ifname}" stands for the interface name. */
  path: string;
  type: 'int' | 'ulong' | 'string' | 'uuid' | 'dnaddr' | 'dir';
  /** The kernel's symbolic name, e.g. "CTL_KERN.KERN_OSRELEASE". */
  symbol: string;
}

/** tables/sysctl-binary.json */
export interface SysctlBinaryFile {
  sources: TableSource[];
  notes?: string[];
  entries: SysctlBinaryEntry[];
}

/** One /proc/sys file a release removed, with what it read before. */
export interface SysctlRemovedEntry {
  /** Below /proc/sys, e.g. "net/ipv4/tcp_tw_recycle". */
  path: string;
  removedIn: string;
  addedIn?: string;
  /** What a read gave on a freshly booted kernel, without the newline. */
  default: string;
  /** Permission bits, octal ("0644"); the owner is root. */
  mode: string;
  /** cpus-log: times 1 + ilog2(min(online CPUs, 8)) (kernel/sched/fair.c, SCHED_TUNABLESCALING_LOG). */
  scale?: 'cpus-log';
  config?: string;
  source: string;
}

/** tables/sysctl-removed.json */
export interface SysctlRemovedFile {
  sources: TableSource[];
  notes?: string[];
  files: SysctlRemovedEntry[];
}

export type { SchemaName } from './schema-error.js';

// Ajv standalone code generated from tables/schema/ by scripts/gen-tables.ts: importing it costs a
// few milliseconds, where importing Ajv and compiling the schemas costs over a hundred per run.
const VALIDATORS: Record<SchemaName, ValidateFunction> = {
  'syscall-table': precompiled.syscallTable as unknown as ValidateFunction,
  releases: precompiled.releases as unknown as ValidateFunction,
  'sysctl-binary': precompiled.sysctlBinary as unknown as ValidateFunction,
  'sysctl-removed': precompiled.sysctlRemoved as unknown as ValidateFunction,
  'arg-table': precompiled.argTable as unknown as ValidateFunction,
  manifest: precompiled.manifest as unknown as ValidateFunction,
  persona: precompiled.persona as unknown as ValidateFunction,
  'serve-policy': precompiled.servePolicy as unknown as ValidateFunction,
};

/**
 * Check parsed JSON against one of the tables/schema/ schemas. Throws TableError whose message
 * names the file, the JSON path (Ajv's instancePath, "/" for the root) and the reason.
 */
export function validateJson<T>(data: unknown, schema: SchemaName, file: string): T {
  const validate = VALIDATORS[schema];
  if (!validate(data)) throw schemaError(schema, file, validate.errors);
  return data as T;
}

function readJson(file: string, op: string): unknown {
  noteTableRead(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new TableError(op, `${file}: cannot read: ${(cause as Error).message}`, { cause, code });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TableError(op, `${file}: /: not JSON: ${(cause as Error).message}`, { cause, code: 'ESCHEMA' });
  }
}

/** Checks a schema cannot express: numbers and names are unique within a table. */
function checkUnique(table: SyscallTable, file: string): void {
  const nrs = new Map<number, number>();
  const names = new Map<string, number>();
  table.syscalls.forEach((e, i) => {
    const op = `load syscall-table ${file}`;
    if (nrs.has(e.nr)) throw new TableError(op, `${file}: /syscalls/${i}/nr: duplicate number ${e.nr} (also /syscalls/${nrs.get(e.nr)})`, { code: 'ESCHEMA' });
    if (names.has(e.name)) throw new TableError(op, `${file}: /syscalls/${i}/name: duplicate name ${e.name} (also /syscalls/${names.get(e.name)})`, { code: 'ESCHEMA' });
    nrs.set(e.nr, i);
    names.set(e.name, i);
  });
}

/**
 * Read and validate one syscall table file. Throws TableError naming the file, the JSON path and
 * the reason when it is unreadable, not JSON, fails the schema or repeats a number or name.
 */
export function loadTableFile(file: string): SyscallTable {
  const table = validateJson<SyscallTable>(readJson(file, `load syscall-table ${file}`), 'syscall-table', file);
  checkUnique(table, file);
  return table;
}

/** Read and validate tables/releases.json. Throws TableError like loadTableFile. */
export function loadReleasesFile(tablesDir = defaultTablesDir()): ReleasesFile {
  const file = path.join(tablesDir, 'releases.json');
  return validateJson<ReleasesFile>(readJson(file, `load releases ${file}`), 'releases', file);
}

/** Read and validate tables/sysctl-binary.json. Throws TableError like loadTableFile. */
export function loadSysctlBinaryFile(tablesDir = defaultTablesDir()): SysctlBinaryFile {
  const file = path.join(tablesDir, 'sysctl-binary.json');
  return validateJson<SysctlBinaryFile>(readJson(file, `load sysctl-binary ${file}`), 'sysctl-binary', file);
}

/** Read and validate tables/sysctl-removed.json. Throws TableError like loadTableFile. */
export function loadSysctlRemovedFile(tablesDir = defaultTablesDir()): SysctlRemovedFile {
  const file = path.join(tablesDir, 'sysctl-removed.json');
  return validateJson<SysctlRemovedFile>(readJson(file, `load sysctl-removed ${file}`), 'sysctl-removed', file);
}

/** Read and validate tables/args/<arch>.json. Throws TableError like loadTableFile. */
export function loadArgTableFile(tablesDir = defaultTablesDir(), arch = 'x86_64'): ArgTable {
  const file = argTableFileName(tablesDir, arch);
  return validateJson<ArgTable>(readJson(file, `load arg-table ${file}`), 'arg-table', file);
}
