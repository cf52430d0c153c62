import fs from 'node:fs';
import path from 'node:path';
import type { Arch } from '../arch.js';
import { TableError } from '../errors.js';
import { loadArgTableFile, loadReleasesFile, loadTableFile, type ReleasesFile } from './load.js';
import { argTableFileName, type ArgTable } from './arg-table.js';
import { defaultTablesDir, releaseOfTableFile, tableFileName } from './paths.js';
import { compareReleases, nearestKnown, type NearestRelease } from './release.js';
import type { SyscallEntry, SyscallTable } from './types.js';

/** A loaded table with its lookups built once. */
export interface IndexedTable {
  table: SyscallTable;
  byNumber: ReadonlyMap<number, SyscallEntry>;
  byName: ReadonlyMap<string, SyscallEntry>;
}

/**
 * The syscall tables under one tables/ directory. Lists releases from file names and loads a
 * table only when asked (the CLI needs two per run), then keeps it.
 */
export class TableRegistry {
  readonly dir: string;
  private readonly listed = new Map<Arch, string[]>();
  private readonly loaded = new Map<string, IndexedTable>();
  private releasesFile: ReleasesFile | undefined;
  private readonly argTables = new Map<Arch, ArgTable | undefined>();

  constructor(dir: string = defaultTablesDir()) {
    this.dir = dir;
  }

  /** Releases with a table for this ABI, oldest first. Empty if the ABI has no tables. */
  releases(arch: Arch): readonly string[] {
    let list = this.listed.get(arch);
    if (!list) {
      let names: string[];
      try {
        names = fs.readdirSync(path.join(this.dir, arch));
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new TableError(`list tables ${arch}`, `cannot read ${path.join(this.dir, arch)}`, { cause });
        }
        names = [];
      }
      list = names.map(releaseOfTableFile).filter((r): r is string => r !== undefined).sort(compareReleases);
      this.listed.set(arch, list);
    }
    return list;
  }

  /** The argument-value table of this ABI (tables/args/<arch>.json), or undefined when it has none. */
  argTable(arch: Arch): ArgTable | undefined {
    if (!this.argTables.has(arch)) {
      this.argTables.set(arch, fs.existsSync(argTableFileName(this.dir, arch)) ? loadArgTableFile(this.dir, arch) : undefined);
    }
    return this.argTables.get(arch);
  }

  /** The table for exactly this mainline release. Throws TableError if there is none or it is malformed. */
  get(arch: Arch, release: string): SyscallTable {
    return this.indexed(arch, release).table;
  }

  /** Like get, with number and name lookups. */
  indexed(arch: Arch, release: string): IndexedTable {
    const key = `${arch}/${release}`;
    const hit = this.loaded.get(key);
    if (hit) return hit;
    const file = tableFileName(this.dir, arch, release);
    if (!this.releases(arch).includes(release)) {
      throw new TableError(`load table ${key}`, `no table for ${arch} ${release} (${file})`, { code: 'ENOENT' });
    }
    const table = loadTableFile(file);
    if (table.arch !== arch || table.release !== release) {
      throw new TableError(`load table ${key}`, `${file}: /: describes ${table.arch} ${table.release}, not ${arch} ${release}`, { code: 'ESCHEMA' });
    }
    const entry: IndexedTable = {
      table,
      byNumber: new Map(table.syscalls.map((e) => [e.nr, e])),
      byName: new Map(table.syscalls.map((e) => [e.name, e])),
    };
    this.loaded.set(key, entry);
    return entry;
  }

  /**
   * The table for a requested kernel release ("5.4.0-150-generic"): its mainline release, or the
   * nearest lower one with a table. Throws UsageError (see nearestKnown) or TableError.
   */
  resolve(arch: Arch, requested: string): NearestRelease & { table: SyscallTable } {
    const near = nearestKnown(requested, this.releases(arch));
    return { ...near, table: this.get(arch, near.release) };
  }

  /** The entry at this number, whatever its status; undefined for a slot the release never had. */
  byNumber(arch: Arch, release: string, nr: number): SyscallEntry | undefined {
    return this.indexed(arch, release).byNumber.get(nr);
  }

  /** The entry with this table name ("uname", "_sysctl"), whatever its status. */
  byName(arch: Arch, release: string, name: string): SyscallEntry | undefined {
    return this.indexed(arch, release).byName.get(name);
  }

  /** Release date and a compiler of its day, for persona version strings. Throws TableError if unknown. */
  releaseInfo(release: string): { date: string; gcc: string } {
    this.releasesFile ??= loadReleasesFile(this.dir);
    const info = this.releasesFile.releases[release];
    if (!info) throw new TableError(`release info ${release}`, `tables/releases.json has no release ${release}`, { code: 'ENOENT' });
    return info;
  }
}
