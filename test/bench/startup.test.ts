/** The start-up breakdown's arithmetic (the probe itself runs in targets/registry.test.ts). */
import { describe, expect, it } from 'vitest';
import { derivePhases, PHASES, summarizePhases } from '../../src/bench/startup.js';

const probe = { bootstrap: 30, imports: 70, sessionCache: 2, hostCheck: 1, persona: 3, hostProbe: 0.5, tables: 14, plan: 16, launcher: 30, supervise: 140, hostProbeCold: 120 };

describe('derivePhases', () => {
  it('derives module loading and the worker, and sums the phases of one run', () => {
    const p = derivePhases(probe, 100, 250);
    expect(p.cliModules).toBe(150);
    expect(p.worker).toBe(110);
    expect(p.node).toBe(100);
    // The run command's own imports are part of cliModules: not counted twice; the miss's
    // phases (host check, persona, probe, tables, plan) are not in a run that hits the cache.
    expect(p.sum).toBeCloseTo(100 + 150 + 2 + 30 + 110, 9);
  });

  it('refuses a probe line without a phase', () => {
    const { plan: _plan, ...partial } = probe;
    expect(() => derivePhases(partial, 100, 250)).toThrow(/no plan/);
  });
});

describe('summarizePhases', () => {
  it('keeps PHASES order and summarizes each phase over the runs', () => {
    const runs = [derivePhases(probe, 100, 250), derivePhases({ ...probe, imports: 90 }, 120, 300)];
    const s = summarizePhases(runs);
    expect(s.map((x) => x.id)).toEqual(PHASES.map((x) => x.id));
    expect(s.find((x) => x.id === 'imports')!.summary).toMatchObject({ n: 2, median: 80, min: 70, max: 90 });
  });
});
