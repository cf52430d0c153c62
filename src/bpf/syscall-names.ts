/**
 * Syscall names for disassembly and assembly, from cr-shim's tables: the
 * tables of one release per arch, then the host's for numbers that release
 * lacks. x86 numbers are never reused and the tables keep removed calls, so a
 * newer table names everything an older one does, with the same numbers.
 */
import os from 'node:os';
import { ARCHES } from '../arch.js';
import type { Arch } from '../arch.js';
import { UsageError } from '../errors.js';
import type { TableRegistry } from '../tables/registry.js';
import { compareReleases, mainlineOf } from '../tables/release.js';
import type { SyscallName, SyscallNumber } from './notation.js';

export interface SyscallNaming {
  syscallName: SyscallName;
  syscallNumber: SyscallNumber;
  /** The table release used per arch (none for an arch without tables). */
  releases: Partial<Record<Arch, string>>;
}

/** The newest table release not newer than `mainline`, or the newest there is for a newer kernel. */
function hostTable(registry: TableRegistry, arch: Arch, mainline: string): string | undefined {
  const known = registry.releases(arch);
  const notNewer = known.filter((r) => compareReleases(r, mainline) <= 0);
  return notNewer[notNewer.length - 1] ?? known[known.length - 1];
}

/**
 * Names from the tables of `release` (a kernel release as uname -r prints it;
 * nearest lower known release), falling back to the host's. Without
 * `release`, the host's tables only. An ABI with no table for `release` names
 * with the host's; throws UsageError when no ABI has one (a release that never existed).
 */
export function tableNaming(registry: TableRegistry, release?: string): SyscallNaming {
  const host = mainlineOf(os.release());
  const chains = new Map<Arch, string[]>();
  const releases: Partial<Record<Arch, string>> = {};
  const refusals: unknown[] = [];
  for (const arch of ARCHES) {
    if (registry.releases(arch).length === 0) continue;
    const hostRelease = hostTable(registry, arch, host);
    let chosen = hostRelease;
    if (release !== undefined) {
      try {
        chosen = registry.resolve(arch, release).release;
      } catch (err) {
        // An ABI whose tables start later (aarch64 at 5.0) names with the host's.
        if (!(err instanceof UsageError)) throw err;
        refusals.push(err);
      }
    }
    if (chosen === undefined) continue;
    releases[arch] = chosen;
    chains.set(arch, [...new Set([chosen, ...(hostRelease ? [hostRelease] : [])])]);
  }
  if (refusals.length > 0 && refusals.length === chains.size) throw refusals[0];
  return {
    releases,
    syscallName: (arch, nr) => {
      for (const r of chains.get(arch) ?? []) {
        const e = registry.byNumber(arch, r, nr);
        if (e) return e.name;
      }
      return undefined;
    },
    syscallNumber: (arch, name) => {
      for (const r of chains.get(arch) ?? []) {
        const e = registry.byName(arch, r, name);
        if (e) return e.nr;
      }
      return undefined;
    },
  };
}
