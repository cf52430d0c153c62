import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH, X32_SYSCALL_BIT } from '../../src/arch.js';
import type { Arch } from '../../src/arch.js';
import { asm } from '../../src/bpf/asm.js';
import { cacheProvesAllow } from '../../src/bpf/cache.js';
import { actionReturn, compilePlan, planRuns } from '../../src/bpf/compile.js';
import { disasm } from '../../src/bpf/disasm.js';
import { emulate } from '../../src/bpf/emulate.js';
import { encode } from '../../src/bpf/encode.js';
import {
  BPF_ABS, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_RET, BPF_W,
} from '../../src/bpf/insn.js';
import { validate } from '../../src/bpf/validate.js';
import { BpfError } from '../../src/errors.js';
import type { Action, ArchPlan, Plan, PlanEntry } from '../../src/plan/types.js';

const ALLOW: Action = { kind: 'allow' };
const ENOSYS: Action = { kind: 'errno', errno: 38 };
const EPERM: Action = { kind: 'errno', errno: 1 };
const notify = (handler: string): Action => ({ kind: 'notify', handler });

/**
 * A plan shaped like a real one (persona older than host): mostly allow, a
 * block the persona lacks answered ENOSYS with a few exceptions, a handful of
 * emulated calls and a few EPERMs. Names are synthetic: `<arch>_<nr>`.
 */
function archPlan(arch: Arch, count: number, special: Record<number, Action>, absent: [number, number][]): ArchPlan {
  const entries: PlanEntry[] = [];
  for (let nr = 0; nr < count; nr++) {
    const action = special[nr] ?? (absent.some(([lo, hi]) => nr >= lo && nr <= hi) ? ENOSYS : ALLOW);
    entries.push({ nr, name: `${arch}_${nr}`, action, reason: 'synthetic', basis: 'same' });
  }
  return { arch, personaRelease: '5.4', hostRelease: '6.8', entries, otherwise: ENOSYS };
}

const typical: Plan = {
  persona: '5.4.0-150-generic',
  arches: [
    // ia32 listed first on purpose: the compiler must still test x86_64 first.
    archPlan('ia32', 450, { 122: notify('uname'), 116: notify('sysinfo'), 383: notify('statx'), 222: ENOSYS, 223: ENOSYS, 251: ENOSYS, 285: ENOSYS, 86: EPERM, 425: ALLOW }, [[386, 449]]),
    archPlan('x86_64', 460, { 63: notify('uname'), 99: notify('sysinfo'), 332: notify('statx'), 134: EPERM, 156: EPERM, 424: ALLOW, 434: ALLOW }, [[335, 423], [425, 459]]),
  ],
  x32: ENOSYS,
  unknownArch: { kind: 'errno', errno: 38 },
};

function expected(plan: Plan, arch: Arch, nr: number): Action {
  const ap = plan.arches.find((a) => a.arch === arch);
  if (!ap) return plan.unknownArch;
  if (arch === 'x86_64' && nr >= X32_SYSCALL_BIT) return plan.x32;
  return ap.entries.find((e) => e.nr === nr)?.action ?? ap.otherwise;
}

const PROBES = [...Array.from({ length: 601 }, (_, i) => i), 0x3fffffff, 0x7fffffff, 0xfffffffe, 0xffffffff];

function checkAllVerdicts(plan: Plan): number {
  const { insns } = compilePlan(plan);
  let maxPath = 0;
  for (const arch of ['x86_64', 'ia32'] as const) {
    for (const nr of PROBES) {
      const v = emulate(insns, { nr, arch: AUDIT_ARCH[arch] });
      const want = actionReturn(expected(plan, arch, nr));
      if (v.value !== want) throw new Error(`${arch} nr ${nr}: got 0x${v.value.toString(16)}, want 0x${want.toString(16)}`);
      maxPath = Math.max(maxPath, v.path.length);
    }
  }
  return maxPath;
}

const log2 = (n: number): number => Math.ceil(Math.log2(n));

describe('compilePlan: typical plan (~460 x86_64 + ~450 ia32 entries)', () => {
  const program = compilePlan(typical);
  const { insns } = program;

  it('is valid and small', () => {
    expect(() => validate(insns)).not.toThrow();
    expect(insns.length).toBeLessThan(200);
    console.info(`compiled typical plan: ${insns.length} insns (${insns.length * 8} bytes)`);
  });

  it('gives the plan action for every number 0..600 of both arches and large numbers', () => {
    checkAllVerdicts(typical);
  });

  it('sends x32 numbers on AUDIT_ARCH_X86_64 to plan.x32', () => {
    for (const nr of [0, 1, 63, 512, 547, 0x3fffffff]) {
      const v = emulate(insns, { nr: (X32_SYSCALL_BIT | nr) >>> 0, arch: AUDIT_ARCH.x86_64 });
      expect(v.value).toBe(actionReturn(typical.x32));
    }
  });

  it('answers unknown arches with plan.unknownArch', () => {
    for (const arch of [AUDIT_ARCH.aarch64, 0, 0x12345678, 0xffffffff]) {
      for (const nr of [0, 63, 122]) expect(emulate(insns, { nr, arch }).value).toBe(actionReturn(typical.unknownArch));
    }
  });

  it('runs O(log runs) insns per call', () => {
    for (const ap of typical.arches) {
      const runs = planRuns(ap).length;
      // ld arch, one or two arch JEQs, ld nr, [x32 JGE], the tree, the RET.
      const bound = 5 + log2(runs);
      for (const nr of PROBES) {
        const { path } = emulate(insns, { nr, arch: AUDIT_ARCH[ap.arch] });
        expect(path.length, `${ap.arch} ${nr}`).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('only loads nr and arch and only compares with K, so the kernel action cache applies', () => {
    const ok = new Set([
      BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JGT | BPF_K,
      BPF_JMP | BPF_JSET | BPF_K, BPF_RET | BPF_K,
    ]);
    for (const insn of insns) {
      if (insn.code === (BPF_LD | BPF_W | BPF_ABS)) expect([0, 4]).toContain(insn.k);
      else expect(ok.has(insn.code), `opcode 0x${insn.code.toString(16)}`).toBe(true);
    }
    for (const arch of ['x86_64', 'ia32'] as const) {
      for (let nr = 0; nr <= 600; nr++) {
        expect(cacheProvesAllow(insns, AUDIT_ARCH[arch], nr), `${arch} ${nr}`).toBe(expected(typical, arch, nr).kind === 'allow');
      }
    }
  });

  it('shares RET instructions', () => {
    const rets = insns.filter((i) => i.code === (BPF_RET | BPF_K)).map((i) => i.k);
    // unknown arch + per section: allow, ENOSYS, EPERM, three notifies share one value; x32 reuses ENOSYS.
    expect(rets.length).toBeLessThanOrEqual(1 + 4 + 4);
  });

  it('carries one comment per insn', () => {
    expect(program.comments).toHaveLength(insns.length);
    expect(program.comments?.every((c) => typeof c === 'string' && c.length > 0)).toBe(true);
  });

  it('survives disasm → asm byte for byte, with syscall names per arch', () => {
    const syscallName = (arch: Arch, nr: number): string | undefined => (nr < 460 ? `${arch}_${nr}` : undefined);
    const syscallNumber = (arch: Arch, name: string): number | undefined =>
      name.startsWith(`${arch}_`) ? Number(name.slice(arch.length + 1)) : undefined;
    const text = disasm(program, { syscallName, comments: true });
    expect(text).toContain('if (A == ARCH_X86_64) goto');
    expect(text).toContain('A = sys_number');
    expect(text).toMatch(/if \(A >= x86_64_\d+\)/);
    expect(text).toMatch(/if \(A >= ia32_\d+\)/);
    expect(text).toContain('if (A >= 0x40000000) goto');
    expect(text).toContain('return USER_NOTIF');
    expect(text).toContain('return ERRNO(38)');
    expect(encode(asm(text, { syscallNumber }))).toEqual(encode(insns));
    // Without a resolver the numbers print as hex and still round-trip.
    expect(encode(asm(disasm(program)))).toEqual(encode(insns));
  });
});

describe('compilePlan: shapes', () => {
  it('handles a fragmented plan that needs trampolines', () => {
    const entries = Array.from({ length: 1500 }, (_, nr): PlanEntry => ({
      nr, name: `n${nr}`, reason: '', basis: 'same', action: nr % 3 === 0 ? ALLOW : nr % 3 === 1 ? EPERM : notify('h'),
    }));
    const plan: Plan = {
      persona: 'x',
      arches: [{ arch: 'x86_64', personaRelease: 'a', hostRelease: 'b', entries, otherwise: ENOSYS }],
      x32: ENOSYS,
      unknownArch: { kind: 'errno', errno: 1 },
    };
    const { insns } = compilePlan(plan);
    expect(insns.length).toBeLessThan(4096);
    const runs = planRuns(plan.arches[0]!).length;
    const maxPath = checkAllVerdicts(plan);
    for (let nr = 600; nr < 1600; nr++) {
      expect(emulate(insns, { nr, arch: AUDIT_ARCH.x86_64 }).value).toBe(actionReturn(expected(plan, 'x86_64', nr)));
    }
    // Each trampoline adds at most one hop per level.
    expect(maxPath).toBeLessThanOrEqual(5 + 2 * log2(runs));
    expect(encode(asm(disasm(insns)))).toEqual(encode(insns));
  });

  it('compiles a plan with one action everywhere', () => {
    const plan: Plan = {
      persona: 'x',
      arches: [{ arch: 'ia32', personaRelease: 'a', hostRelease: 'b', entries: [], otherwise: ALLOW }],
      x32: ENOSYS,
      unknownArch: ENOSYS,
    };
    const { insns } = compilePlan(plan);
    expect(emulate(insns, { nr: 5, arch: AUDIT_ARCH.ia32 }).action).toBe('ALLOW');
    expect(emulate(insns, { nr: 5, arch: AUDIT_ARCH.x86_64 }).action).toBe('ERRNO');
  });

  it('compiles a plan with no arches to a single verdict', () => {
    const { insns } = compilePlan({ persona: 'x', arches: [], x32: ALLOW, unknownArch: EPERM });
    expect(emulate(insns, { nr: 0, arch: AUDIT_ARCH.x86_64 })).toMatchObject({ action: 'ERRNO', data: 1 });
  });

  const bad: [string, Partial<Plan>, RegExp][] = [
    ['duplicate arch', { arches: [typical.arches[0]!, typical.arches[0]!] }, /ia32 planned twice/],
    ['duplicate number', { arches: [{ ...typical.arches[0]!, entries: [...typical.arches[0]!.entries, typical.arches[0]!.entries[3]!] }] }, /listed twice/],
    ['number in x32 range', { arches: [{ ...typical.arches[1]!, entries: [{ nr: X32_SYSCALL_BIT, name: 'x', reason: '', basis: 'same', action: ALLOW }] }] }, /outside/],
    ['errno too large', { unknownArch: { kind: 'errno', errno: 5000 } as Action }, /errno 5000/],
  ];
  it.each(bad)('refuses %s', (_what, patch, message) => {
    expect(() => compilePlan({ ...typical, ...patch })).toThrow(BpfError);
    expect(() => compilePlan({ ...typical, ...patch })).toThrow(message);
  });
});
