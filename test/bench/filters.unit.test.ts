/** The BPF-only mechanisms' filters: same verdicts as the persona's, minus notifications; the cache proof. */
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { cacheProvesAllow } from '../../src/bpf/cache.js';
import { compilePlan } from '../../src/bpf/compile.js';
import { emulate } from '../../src/bpf/emulate.js';
import { defeatActionCache, withoutNotify } from '../../src/bench/filters.js';
import { computePlan } from '../../src/plan/compute.js';
import { TableRegistry } from '../../src/tables/registry.js';

const registry = new TableRegistry();
const plan = computePlan('5.10', [
  { arch: 'x86_64', persona: registry.get('x86_64', '5.10'), host: registry.get('x86_64', '6.18'), hostMissing: new Set<string>() },
]);
const X86_64 = AUDIT_ARCH.x86_64;
const nr = (name: string): number => registry.byName('x86_64', '6.18', name)!.nr;

describe('withoutNotify', () => {
  it('turns every notify into allow and leaves the rest alone', () => {
    const before = plan.arches[0]!.entries;
    const after = withoutNotify(plan).arches[0]!.entries;
    expect(before.some((e) => e.action.kind === 'notify')).toBe(true);
    expect(after.some((e) => e.action.kind === 'notify')).toBe(false);
    after.forEach((e, i) => {
      if (before[i]!.action.kind !== 'notify') expect(e.action).toEqual(before[i]!.action);
    });
  });
});

describe('defeatActionCache', () => {
  const insns = compilePlan(withoutNotify(plan)).insns;
  const slow = defeatActionCache(insns);

  it.each([['getppid'], ['uname'], ['cachestat']])('gives %s the same verdict as the plain filter', (name) => {
    const data = { nr: nr(name), arch: X86_64, ip: 0x401000n };
    expect(emulate(slow, data).value).toBe(emulate(insns, data).value);
  });

  it('leaves nothing the action cache can prove', () => {
    expect(cacheProvesAllow(insns, X86_64, nr('getppid'))).toBe(true);
    expect(cacheProvesAllow(slow, X86_64, nr('getppid'))).toBe(false);
  });
});
