/**
 * The plan for a persona on this host: the persona's tables against the host's
 * tables and its probed build, for every ABI the host runs.
 */
import { HOST_ARCHES } from '../arch.js';
import type { HostProbe } from '../host/probe.js';
import type { Persona } from '../persona/types.js';
import type { TableRegistry } from '../tables/registry.js';
import type { SyscallTable } from '../tables/types.js';
import { computePlan } from './compute.js';
import type { Plan } from './types.js';

export function planFor(persona: Persona, registry: TableRegistry, host: HostProbe): Plan {
  // The host's own release is the host's own build: what it lacks, the persona lacks too.
  const sameBuild = persona.release === host.release;
  return computePlan(
    persona.release,
    HOST_ARCHES.map((arch) => ({
      arch,
      persona: sameBuild ? withoutMissing(registry.get(arch, persona.mainline), host.missing[arch as 'x86_64' | 'ia32']) : registry.get(arch, persona.mainline),
      host: registry.resolve(arch, host.mainline).table,
      hostMissing: new Set(arch === 'x86_64' || arch === 'ia32' ? host.missing[arch] : []),
      sameKernel: sameBuild,
    })),
  );
}

/** A table with the calls this build lacks marked removed, for a persona that is the host itself. */
function withoutMissing(t: SyscallTable, missing: readonly string[]): SyscallTable {
  const gone = new Set(missing);
  return { ...t, syscalls: t.syscalls.map((e) => (gone.has(e.name) && e.status !== 'removed' ? { ...e, status: 'removed' as const, note: 'not built into this host\'s kernel' } : e)) };
}
