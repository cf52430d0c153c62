/** Plan verdicts as data (cases/plan-verdicts.json), on the committed tables. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Arch } from '../../src/arch.js';
import { computePlan, planArch } from '../../src/plan/compute.js';
import type { Action } from '../../src/plan/types.js';
import { errnoName } from '../../src/native/errno.js';
import { TableRegistry } from '../../src/tables/registry.js';

interface Row { arch: Arch; persona: string; name: string; expect: string; basis: string }
const cases = JSON.parse(fs.readFileSync(new URL('./cases/plan-verdicts.json', import.meta.url), 'utf8')) as { hostMissing: string[]; rows: Row[] };
const registry = new TableRegistry();

function show(a: Action): string {
  return a.kind === 'allow' ? 'allow' : a.kind === 'errno' ? errnoName(a.errno) : `handler:${a.handler}`;
}

function plan(arch: Arch, persona: string) {
  return planArch({ arch, persona: registry.get(arch, persona), host: registry.get(arch, '6.18'), hostMissing: new Set(cases.hostMissing) });
}

describe('planArch', () => {
  it.each(cases.rows)('$arch $persona $name → $expect', (row) => {
    const entry = plan(row.arch, row.persona).entries.find((e) => e.name === row.name);
    expect(entry, `${row.name} in the plan`).toBeDefined();
    expect(show(entry!.action)).toBe(row.expect);
    expect(entry!.basis).toBe(row.basis);
  });

  it('lists each number once, sorted, with ENOSYS for numbers neither table knows', () => {
    const p = plan('x86_64', '4.19');
    const nrs = p.entries.map((e) => e.nr);
    expect(nrs).toEqual([...new Set(nrs)].sort((a, b) => a - b));
    expect(show(p.otherwise)).toBe('ENOSYS');
  });

  it('a persona equal to the host allows everything the host has, except what the registry emulates', () => {
    const p = plan('x86_64', '6.18');
    const table = registry.indexed('x86_64', '6.18');
    for (const e of p.entries) {
      if (e.basis === 'same') expect(e.action.kind).toBe('allow');
      // Only calls 6.18 itself no longer has are refused.
      if (e.basis === 'absent') expect(table.byNumber.get(e.nr)?.status).toBe('removed');
    }
  });

  it('computePlan refuses x32 and unknown arches with ENOSYS and keeps the arch order', () => {
    const p = computePlan('4.19', (['x86_64', 'ia32'] as const).map((arch) => ({
      arch, persona: registry.get(arch, '4.19'), host: registry.get(arch, '6.18'), hostMissing: new Set<string>(),
    })));
    expect(p.arches.map((a) => a.arch)).toEqual(['x86_64', 'ia32']);
    expect(show(p.x32)).toBe('ENOSYS');
    expect(show(p.unknownArch)).toBe('ENOSYS');
  });
});
