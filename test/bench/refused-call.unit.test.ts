/** Choosing the ENOSYS scenario's numbers from the real plans and tables. */
import { describe, expect, it } from 'vitest';
import { checkUnimplemented, NATIVE_UNIMPLEMENTED, pickRefusedCall } from '../../src/bench/refused-call.js';
import { computePlan } from '../../src/plan/compute.js';
import { TableRegistry } from '../../src/tables/registry.js';

const registry = new TableRegistry();
const HOST = '6.18';

function planOf(persona: string) {
  return computePlan(persona, [
    { arch: 'x86_64', persona: registry.get('x86_64', persona), host: registry.get('x86_64', HOST), hostMissing: new Set<string>() },
  ]);
}

describe('pickRefusedCall', () => {
  it.each([
    ['5.10', 'cachestat'],
    ['6.4', 'cachestat'],
    ['5.4', 'cachestat'],
    ['2.6.32', 'cachestat'],
  ])('persona %s: %s, refused in BPF', (persona, name) => {
    const r = pickRefusedCall(planOf(persona));
    expect(r.name).toBe(name);
    expect(r.nr).toBe(registry.byName('x86_64', HOST, name)!.nr);
  });

  it('falls back along the candidate list', () => {
    expect(pickRefusedCall(planOf('5.10'), ['getppid', 'futex_waitv']).name).toBe('futex_waitv');
  });

  it('refuses a persona that lacks none of the candidates, naming the fix', () => {
    expect(() => pickRefusedCall(planOf(HOST))).toThrow(/pick an older --kernel|has every syscall/);
  });
});

describe('checkUnimplemented', () => {
  it('accepts tuxcall on the host table', () => {
    expect(checkUnimplemented(registry.get('x86_64', HOST))).toEqual(NATIVE_UNIMPLEMENTED);
  });

  it('refuses a slot the table implements', () => {
    expect(() => checkUnimplemented(registry.get('x86_64', HOST), { nr: 110, name: 'getppid' })).toThrow(/implements nr 110/);
  });
});
