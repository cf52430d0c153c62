/** What `cr-shim filter` prints (src/bpf/filter-report.ts): text that reassembles, one arch's part, JSON. */
import { describe, expect, it } from 'vitest';
import type { Arch } from '../../src/arch.js';
import { asm } from '../../src/bpf/asm.js';
import { compilePlan } from '../../src/bpf/compile.js';
import { encode } from '../../src/bpf/encode.js';
import { filterJson, filterText } from '../../src/bpf/filter-report.js';
import type { Action, Plan, PlanEntry } from '../../src/plan/types.js';

const ENOSYS: Action = { kind: 'errno', errno: 38 };
function entries(arch: Arch): PlanEntry[] {
  return Array.from({ length: 40 }, (_, nr): PlanEntry => {
    const action: Action = nr === 5 ? { kind: 'notify', handler: 'uname' } : nr >= 30 ? ENOSYS : { kind: 'allow' };
    return { nr, name: `${arch}_${nr}`, action, reason: nr === 5 ? 'persona identity' : nr >= 30 ? 'not yet in 1.0' : 'same on both kernels', basis: 'same' };
  });
}
const plan: Plan = {
  persona: '1.0',
  arches: (['x86_64', 'ia32'] as const).map((arch) => ({ arch, personaRelease: '1.0', hostRelease: '2.0', entries: entries(arch), otherwise: ENOSYS })),
  x32: ENOSYS,
  unknownArch: ENOSYS,
};
const program = compilePlan(plan);
const facts = {
  persona: { release: '1.0.3', mainline: '1.0' },
  host: { release: '2.0.1', mainline: '2.0' },
  plan,
  program,
  filter: encode(program.insns),
};
const syscallName = (arch: Arch, nr: number): string | undefined => (nr < 40 ? `${arch}_${nr}` : undefined);
const syscallNumber = (arch: Arch, name: string): number | undefined => (name.startsWith(`${arch}_`) ? Number(name.slice(arch.length + 1)) : undefined);

describe('filterText', () => {
  const text = filterText(facts, { syscallName });

  it('reassembles to the same bytes: everything but insns is a # comment', () => {
    expect(encode(asm(text, { syscallNumber }))).toEqual(facts.filter);
  });

  it('carries the compiler comment on every insn line, then the plan by action and reason', () => {
    const insnLines = text.split('\n').filter((l) => /^ \d{4}: /.test(l));
    expect(insnLines).toHaveLength(program.insns.length);
    for (const l of insnLines) expect(l).toMatch(/  # \S/);
    expect(text).toContain('# plan for x86_64 (persona tables 1.0, host tables 2.0): 40 syscalls in 4 runs; numbers in neither table: errno(38)');
    expect(text).toMatch(/^#   notify\(uname\) {2}x86_64_5: persona identity$/m);
    expect(text).toMatch(/^#   errno\(38\) {6}x86_64_30, x86_64_31, .* … \(10\): not yet in 1\.0$/m);
    expect(text).toContain('# x32 ABI: errno(38); any other arch: errno(38)');
    expect(text.split('\n')[0]).toBe(`# cr-shim filter for kernel 1.0.3 (tables 1.0; host 2.0.1): ${program.insns.length} insns, ${program.insns.length * 8} bytes`);
  });

  it('--arch: only that arch\'s insns and plan, the rest marked as left out', () => {
    const part = filterText(facts, { syscallName, only: 'ia32' });
    expect(part).toContain('ia32_5');
    expect(part).not.toContain('x86_64_5');
    expect(part).toMatch(/^# \d{4}\.\.\d{4} not reached by ia32 syscalls$/m);
    expect(part).not.toContain('# plan for x86_64');
    expect(part).toContain('# plan for ia32');
  });
});

describe('filterJson', () => {
  it('bytes, insns with text and comment, plan with runs', () => {
    const j = filterJson(facts, { syscallName }) as {
      bytes: string; insns: number; program: { pc: number; code: number; text: string; comment: string | null }[];
      plan: { arches: { arch: string; runs: { nrs: string; action: Action; syscalls: string[] }[] }[] };
    };
    expect(j.bytes).toBe(facts.filter.toString('hex'));
    expect(j.insns).toBe(program.insns.length);
    expect(j.program).toHaveLength(program.insns.length);
    expect(j.program[0]).toMatchObject({ pc: 0, code: 0x20, text: 'A = arch', comment: 'load arch' });
    expect(j.plan.arches[0]!.runs.map((r) => r.nrs)).toEqual(['0..4', '5', '6..29', '30..1073741823']);
    const only = filterJson(facts, { syscallName, only: 'x86_64' }) as { program: unknown[]; plan: { arches: unknown[] } };
    expect(only.plan.arches).toHaveLength(1);
    expect(only.program.length).toBeLessThan(program.insns.length);
  });
});
