/** The behaviour catalogue is data: which rows apply to a persona and a host, as cases. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BEHAVIOURS, behaviourApplies, behaviourRules } from '../../src/handlers/behaviours.js';
import { BUILD_FEATURES } from '../../src/host/build-features.js';

interface Case { persona: string; hostLacks: string[]; options: string[]; expect: string[]; why: string }
const file = JSON.parse(fs.readFileSync(new URL('./cases/behaviour-applies.json', import.meta.url), 'utf8')) as { rows: string[]; cases: Case[] };

describe('behaviourApplies', () => {
  it.each(file.cases)('$persona, host lacks $hostLacks: $expect ($why)', (c) => {
    const facts = { arch: 'x86_64' as const, personaRelease: c.persona, options: new Set(c.options), hostLacks: new Set(c.hostLacks) };
    const applying = file.rows.filter((id) => behaviourApplies(BEHAVIOURS.find((b) => b.id === id)!, facts));
    expect(applying).toEqual(c.expect);
  });

  it('names only build features the host probe knows', () => {
    const known = new Set(BUILD_FEATURES.map((f) => f.id));
    for (const b of BEHAVIOURS) if (b.hostLacks !== undefined) expect(known.has(b.hostLacks), b.id).toBe(true);
  });

  it('traps PR_SET_PTRACER and the memory-failure advice only when the host lacks their feature', () => {
    const facts = (lacks: string[]) => ({ arch: 'x86_64' as const, personaRelease: '6.1', options: new Set<string>(), hostLacks: new Set(lacks) });
    expect(behaviourRules('prctl', facts([]))).toEqual([]);
    expect(behaviourRules('prctl', facts(['yama'])).map((r) => [r.arg, r.match, r.action])).toEqual([[0, { kind: 'in', values: [0x59616d61] }, { kind: 'notify', handler: 'yama-ptracer' }]]);
    expect(behaviourRules('madvise', facts(['memory-failure'])).map((r) => r.match)).toEqual([{ kind: 'in', values: [100, 101] }]);
  });
});
