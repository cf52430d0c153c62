/** Which instructions one arch's syscalls can reach (src/bpf/reach.ts). */
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { asm } from '../../src/bpf/asm.js';
import { compilePlan } from '../../src/bpf/compile.js';
import { emulate } from '../../src/bpf/emulate.js';
import { reachableFor } from '../../src/bpf/reach.js';
import type { Plan } from '../../src/plan/types.js';

const PROGRAM = asm([
  'A = arch', // 0
  'if (A == ARCH_X86_64) goto 0004', // 1
  'if (A == ARCH_I386) goto 0007', // 2
  'return KILL_PROCESS', // 3
  'A = sys_number', // 4
  'if (A == 0x1) goto 0009', // 5
  'return ALLOW', // 6
  'A = sys_number', // 7
  'return ERRNO(38)', // 8
  'return ERRNO(1)', // 9
].join('\n'));

describe('reachableFor', () => {
  it.each([
    ['x86_64', [0, 1, 4, 5, 6, 9]],
    ['ia32', [0, 1, 2, 7, 8]],
    ['aarch64', [0, 1, 2, 3]],
  ] as const)('%s', (arch, pcs) => {
    expect([...reachableFor(PROGRAM, AUDIT_ARCH[arch])].sort((a, b) => a - b)).toEqual(pcs);
  });

  it('covers every pc the emulator runs for that arch, in a compiled filter', () => {
    const plan: Plan = {
      persona: 't',
      arches: (['x86_64', 'ia32'] as const).map((arch) => ({
        arch, personaRelease: 'a', hostRelease: 'b', otherwise: { kind: 'errno', errno: 38 },
        entries: Array.from({ length: 60 }, (_, nr) => ({ nr, name: `n${nr}`, reason: '', basis: 'same' as const, action: nr % 7 === 0 ? { kind: 'errno' as const, errno: 1 } : { kind: 'allow' as const } })),
      })),
      x32: { kind: 'errno', errno: 38 },
      unknownArch: { kind: 'errno', errno: 38 },
    };
    const { insns } = compilePlan(plan);
    for (const arch of ['x86_64', 'ia32'] as const) {
      const live = reachableFor(insns, AUDIT_ARCH[arch]);
      const other = reachableFor(insns, AUDIT_ARCH[arch === 'x86_64' ? 'ia32' : 'x86_64']);
      for (let nr = 0; nr < 70; nr++) for (const pc of emulate(insns, { nr, arch: AUDIT_ARCH[arch] }).path) expect(live.has(pc)).toBe(true);
      // Each arch's section is out of the other's reach.
      expect([...live].filter((pc) => other.has(pc)).length).toBeLessThan(4);
    }
  });
});
