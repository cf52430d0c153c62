/**
 * The plan for a persona on this host: the persona's tables against the host's
 * tables and its probed build, for every ABI the host runs.
 */
import { HOST_ARCHES, type Arch } from '../arch.js';
import type { HostProbe } from '../host/probe.js';
import type { Persona } from '../persona/types.js';
import type { TableRegistry } from '../tables/registry.js';
import type { SyscallTable } from '../tables/types.js';
import { computePlan, DEFAULT_VIEW, type PlanView } from './compute.js';
import type { Plan } from './types.js';

export interface PlanOptions {
  /** Behaviour rows to turn on that are off by default (known holes, e.g. "tiocsti"). */
  behaviourOptions?: ReadonlySet<string>;
  /** How the supervised tree is started; default: opens trapped, io_uring refused. */
  view?: PlanView;
}

export function planFor(persona: Persona, registry: TableRegistry, host: HostProbe, opts: PlanOptions = {}): Plan {
  // The host's own release is the host's own build: what it lacks, the persona lacks too.
  const sameBuild = persona.release === host.release;
  return computePlan(
    persona.release,
    HOST_ARCHES.map((arch) => ({
      arch,
      persona: personaTable(registry, persona, arch, sameBuild ? host.missing[arch as 'x86_64' | 'ia32'] : []),
      host: registry.resolve(arch, host.mainline).table,
      hostMissing: new Set(arch === 'x86_64' || arch === 'ia32' ? host.missing[arch] : []),
      sameKernel: sameBuild,
      ...(registry.argTable(arch) ? { argTable: registry.argTable(arch)! } : {}),
      ...(opts.behaviourOptions ? { behaviourOptions: opts.behaviourOptions } : {}),
      hostLacks: new Set(host.lacks),
      view: opts.view ?? DEFAULT_VIEW,
    })),
  );
}

/**
 * The persona's table as its build answers: calls the build lacks although its
 * mainline release has them are absent. For the host itself, what its probe
 * found missing; for a captured persona (x86_64), what the real build answered
 * ENOSYS to under the oracle.
 */
function personaTable(registry: TableRegistry, persona: Persona, arch: Arch, hostMissing: readonly string[]): SyscallTable {
  const t = registry.get(arch, persona.mainline);
  const gone = new Map<string, string>();
  for (const n of hostMissing) gone.set(n, 'not built into this host\'s kernel');
  if (arch === 'x86_64') for (const n of persona.absent ?? []) gone.set(n, `not built into ${persona.release} (${persona.origin})`);
  if (gone.size === 0) return t;
  return {
    ...t,
    syscalls: t.syscalls.map((e) => (gone.has(e.name) && e.status !== 'removed' ? { ...e, status: 'removed' as const, note: gone.get(e.name)! } : e)),
  };
}
