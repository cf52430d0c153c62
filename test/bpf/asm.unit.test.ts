import { describe, expect, it } from 'vitest';
import type { Arch } from '../../src/arch.js';
import { asm } from '../../src/bpf/asm.js';
import { disasm } from '../../src/bpf/disasm.js';
import { decode, encode } from '../../src/bpf/encode.js';
import { BpfError } from '../../src/errors.js';

// A tiny two-arch table where the same number has different names.
const TABLE: Record<Arch, string[]> = {
  x86_64: ['read', 'write', 'open', 'close'],
  ia32: ['restart_syscall', 'exit', 'fork', 'read'],
  aarch64: [],
};
const syscallName = (arch: Arch, nr: number): string | undefined => TABLE[arch][nr];
const syscallNumber = (arch: Arch, name: string): number | undefined => {
  const nr = TABLE[arch].indexOf(name);
  return nr < 0 ? undefined : nr;
};

const FILTER = [
  'A = arch',
  'if (A == ARCH_X86_64) goto 0004',
  'if (A == ARCH_I386) goto 0007',
  'return KILL_PROCESS',
  'A = sys_number',
  'if (A == write) goto 0010',
  'return ALLOW',
  'A = sys_number',
  'if (A == exit) goto 0010',
  'return ALLOW',
  'return ERRNO(1)',
].join('\n');

describe('asm/disasm', () => {
  it('names syscalls per the arch in force and round-trips', () => {
    const insns = asm(FILTER, { syscallNumber });
    expect(insns[5]?.k).toBe(1);
    expect(insns[8]?.k).toBe(1);
    const text = disasm(insns, { syscallName });
    expect(text).toContain(' 0005: 0x15 0x04 0x00 0x00000001  if (A == write) goto 0010');
    expect(text).toContain(' 0008: 0x15 0x01 0x00 0x00000001  if (A == exit) goto 0010');
    expect(text.split('\n').slice(0, 3)).toEqual([
      ' line  CODE  JT   JF      K',
      '=================================',
      ' 0000: 0x20 0x00 0x00 0x00000004  A = arch',
    ]);
    expect(asm(text, { syscallNumber })).toEqual(insns);
  });

  it('prints the negated form when the true branch falls through', () => {
    const text = disasm(asm('A = arch\nif (A != ARCH_X86_64) goto 0003\nreturn ALLOW\nreturn KILL'));
    expect(text).toContain('0x15 0x00 0x01 0xc000003e  if (A != ARCH_X86_64) goto 0003');
    expect(text).toContain('return KILL_THREAD');
  });

  it('prints every seccomp_data field in seccomp-tools names', () => {
    const lines = ['A = sys_number', 'A = arch', 'A = instruction_pointer', 'A = instruction_pointer >> 32', 'A = args[0]', 'A = args[0] >> 32', 'A = args[5] >> 32', 'return A'];
    const text = disasm(asm(lines.join('\n')));
    for (const l of lines) expect(text).toContain(`  ${l}`);
  });

  it('keeps fields an opcode ignores, and unknown opcodes, byte for byte', () => {
    const raw = [
      { code: 0x16, jt: 3, jf: 4, k: 123 }, // RET A with junk
      { code: 0x07, jt: 1, jf: 0, k: 9 }, // TAX with junk
      { code: 0x28, jt: 0, jf: 0, k: 2 }, // LD H ABS: not seccomp
      { code: 0x1d, jt: 0, jf: 0, k: 77 }, // JEQ X with junk k
      { code: 0x06, jt: 0, jf: 0, k: 0x12340000 }, // unknown action
      { code: 0x06, jt: 0, jf: 0, k: 0x7fff0001 }, // ALLOW with data
    ];
    const bytes = encode(raw);
    const text = disasm(decode(bytes));
    expect(text).toContain('??? opcode 0x28');
    expect(text).toContain('return 0x12340000');
    expect(text).toContain('return ALLOW(1)');
    expect(encode(asm(text))).toEqual(bytes);
  });

  it('accepts raw-only lines, comments and blank lines', () => {
    const insns = asm('# a comment\n\n0x06 0x00 0x00 0x7fff0000\n 0001: return ERRNO(38)  # why\n');
    expect(insns).toEqual([
      { code: 6, jt: 0, jf: 0, k: 0x7fff0000 },
      { code: 6, jt: 0, jf: 0, k: 0x50026 },
    ]);
  });

  it('lets the statement win over stale raw columns', () => {
    expect(asm(' 0000: 0x06 0x00 0x00 0x7fff0000  return ERRNO(1)')).toEqual([{ code: 6, jt: 0, jf: 0, k: 0x50001 }]);
  });

  it.each([
    ['an unparsable statement', 'A = arch\nfrobnicate', /line 2: cannot parse 'frobnicate'/],
    ['a backward goto', 'A = arch\nreturn A\ngoto 0001', /line 3: goto 0001 is not forward/],
    ['a conditional jump too far', 'if (A == 1) goto 0300\nreturn A', /line 1: goto 0300 is 299 insns away/],
    ['a wrong pc prefix', ' 0003: return A', /line 1: line says insn 0003 but it is insn 0/],
    ['a syscall name with no arch in force', 'A = sys_number\nif (A == read) goto 0002\nreturn A', /line 2: syscall name 'read' but no arch is in force/],
    ['an unknown syscall name', 'A = arch\nif (A != ARCH_I386) goto 0004\nA = sys_number\nif (A == open) goto 0004\nreturn A', /line 4: unknown ia32 syscall 'open'/],
    ['a name where A is not nr', 'A = args[0]\nif (A == read) goto 0002\nreturn A', /line 2: name 'read' where A does not hold/],
    ['an unknown opcode without raw columns', '??? opcode 0x28', /line 1: unknown opcode needs the raw/],
    ['an oversized return data', 'return ERRNO(70000)', /return data 70000 out of range/],
  ] as const)('reports %s with its line', (_what, text, message) => {
    let err: unknown;
    try {
      asm(text, { syscallNumber });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect((err as Error).message).toMatch(message);
  });

  it('uses the default arch when the filter does not check one', () => {
    const insns = asm('A = sys_number\nif (A == close) goto 0002\nreturn ALLOW\nreturn ERRNO(1)'.replace('0002', '0003'), { syscallNumber, arch: 'x86_64' });
    expect(insns[1]?.k).toBe(3);
    expect(disasm(insns, { syscallName, arch: 'ia32' })).toContain('if (A == read) goto 0003');
  });
});
