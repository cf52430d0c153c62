/** What the supervisor's open does otherwise per persona (open-compat.ts), and how the plan routes the opens to it: verdicts as data. */
import { describe, expect, it } from 'vitest';
import { openCompat } from '../../src/handlers/open-compat.js';
import { planArch } from '../../src/plan/compute.js';
import type { ArgRule } from '../../src/plan/types.js';
import { TableRegistry } from '../../src/tables/registry.js';

const COMPAT: { persona: string; directEinval: boolean; openat2Accept: number }[] = [
  { persona: '5.6', directEinval: true, openat2Accept: 0x4000000 },
  { persona: '5.10', directEinval: true, openat2Accept: 0x4000000 },
  { persona: '6.1', directEinval: true, openat2Accept: 0x4000000 },
  { persona: '6.5', directEinval: true, openat2Accept: 0x4000000 },
  { persona: '6.6', directEinval: false, openat2Accept: 0x4000000 },
  { persona: '6.12', directEinval: false, openat2Accept: 0x2000000 },
  { persona: '6.13', directEinval: false, openat2Accept: 0 },
  { persona: '6.18', directEinval: false, openat2Accept: 0 },
];

describe('openCompat', () => {
  it.each(COMPAT)('$persona: O_DIRECT on shmem refused $directEinval, openat2 accepts $openat2Accept', ({ persona, ...want }) => {
    expect(openCompat(persona)).toEqual(want);
  });
});

const registry = new TableRegistry();
/** run's view: the identity files are bind-mounted, so opens reach the supervisor only by these rules. */
function rules(persona: string, name: string): ArgRule[] {
  const plan = planArch({
    arch: 'x86_64', persona: registry.get('x86_64', persona), host: registry.get('x86_64', '6.18'), hostMissing: new Set(),
    view: { identityMounted: true, ioUring: false },
  });
  return plan.entries.find((e) => e.name === name)?.argRules ?? [];
}
const routed = (r: readonly ArgRule[]): string[] =>
  r.filter((x) => x.action.kind === 'notify' && x.action.handler === 'proc-identity').map((x) => `args[${x.arg}] ${x.match.kind === 'anyBit' ? `anyBit 0x${x.match.mask.toString(16)}` : 'in'}`);

const ROUTES: { persona: string; name: string; expect: string[] }[] = [
  { persona: '6.1', name: 'openat', expect: ['args[2] anyBit 0x4000'] },
  { persona: '6.1', name: 'open', expect: ['args[1] anyBit 0x4000'] },
  { persona: '6.6', name: 'openat', expect: [] },
  { persona: '6.1', name: 'openat2', expect: ['args[3] anyBit 0xffffffff'] },
  { persona: '6.12', name: 'openat2', expect: ['args[3] anyBit 0xffffffff'] },
  { persona: '6.13', name: 'openat2', expect: [] },
];

describe('routing under run', () => {
  it.each(ROUTES)('$persona $name → $expect', ({ persona, name, expect: want }) => {
    expect(routed(rules(persona, name))).toEqual(want);
  });
});
