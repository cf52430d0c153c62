/**
 * The plan for a persona on this host: the persona's tables against the host's
 * tables and its probed build, for every ABI the host runs.
 */
import { HOST_ARCHES } from '../arch.js';
import type { HostProbe } from '../host/probe.js';
import type { Persona } from '../persona/types.js';
import type { TableRegistry } from '../tables/registry.js';
import { computePlan } from './compute.js';
import type { Plan } from './types.js';

export function planFor(persona: Persona, registry: TableRegistry, host: HostProbe): Plan {
  return computePlan(
    persona.release,
    HOST_ARCHES.map((arch) => ({
      arch,
      persona: registry.get(arch, persona.mainline),
      host: registry.resolve(arch, host.mainline).table,
      hostMissing: new Set(arch === 'x86_64' || arch === 'ia32' ? host.missing[arch] : []),
    })),
  );
}
