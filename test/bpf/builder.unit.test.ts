import { describe, expect, it } from 'vitest';
import { Builder, MAX_COND_OFFSET } from '../../src/bpf/builder.js';
import { emulate } from '../../src/bpf/emulate.js';
import { BPF_ABS, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_RET } from '../../src/bpf/insn.js';
import { validate } from '../../src/bpf/validate.js';
import { BpfError } from '../../src/errors.js';

const JEQ = BPF_JMP | BPF_JEQ | BPF_K;
const LD_NR = BPF_LD | BPF_W | BPF_ABS;

function padding(b: Builder, n: number): void {
  for (let i = 0; i < n; i++) b.stmt(BPF_LD | BPF_IMM, i);
}

describe('Builder', () => {
  it('resolves labels and next to jt/jf offsets', () => {
    const b = new Builder();
    const yes = b.label('yes');
    b.stmt(LD_NR, 0).jump(JEQ, 7, yes, 'next').ret(SECCOMP_RET.ALLOW).place(yes).ret(SECCOMP_RET.ERRNO | 1, 'seven');
    const { insns, comments } = b.build();
    expect(insns[1]).toEqual({ code: JEQ, jt: 1, jf: 0, k: 7 });
    expect(comments?.[3]).toBe('seven');
    expect(emulate(insns, { nr: 7, arch: 0 }).action).toBe('ERRNO');
    expect(emulate(insns, { nr: 8, arch: 0 }).action).toBe('ALLOW');
  });

  it('copies a far RET target next to the jump instead of hopping', () => {
    const b = new Builder();
    const far = b.label('far');
    b.stmt(LD_NR, 0).jump(JEQ, 1, far, 'next');
    padding(b, MAX_COND_OFFSET + 10);
    b.ret(SECCOMP_RET.ALLOW).place(far).ret(SECCOMP_RET.ERRNO | 9);
    const { insns } = b.build();
    validate(insns);
    expect(insns[1]).toMatchObject({ jt: 0, jf: 1 });
    expect(insns[2]).toEqual({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: SECCOMP_RET.ERRNO | 9 });
    expect(emulate(insns, { nr: 1, arch: 0 }).path).toEqual([0, 1, 2]);
    expect(emulate(insns, { nr: 2, arch: 0 }).data).toBe(0);
  });

  it('reaches a far non-RET target through a JA', () => {
    const b = new Builder();
    const far = b.label('far');
    const other = b.label('other');
    b.stmt(LD_NR, 0).jump(BPF_JMP | BPF_JGE | BPF_K, 5, far, other);
    padding(b, 300);
    b.ret(SECCOMP_RET.KILL_PROCESS);
    b.place(other);
    padding(b, 300);
    b.ret(SECCOMP_RET.ALLOW);
    b.place(far).stmt(LD_NR, 0).ret(SECCOMP_RET.ERRNO | 5);
    const { insns } = b.build();
    validate(insns);
    expect(insns[2]?.code).toBe(BPF_JMP | BPF_JA);
    expect(insns[3]?.code).toBe(BPF_JMP | BPF_JA);
    expect(emulate(insns, { nr: 9, arch: 0 })).toMatchObject({ action: 'ERRNO', data: 5 });
    expect(emulate(insns, { nr: 1, arch: 0 }).action).toBe('ALLOW');
  });

  it.each([
    ['a label placed twice', (b: Builder) => { const l = b.label('twice'); b.place(l).ret(0).place(l).ret(0); }, /placed twice/],
    ['a label never placed', (b: Builder) => { b.ja(b.label('lost')).ret(0); }, /lost used but never placed/],
    ['a label after the last insn', (b: Builder) => { const l = b.label('end'); b.ja(l).ret(0).place(l); }, /after the last instruction/],
    ['a backward jump', (b: Builder) => { const l = b.label('back'); b.place(l).ret(0).jump(JEQ, 0, l, 'next').ret(0); }, /backward jump to back/],
    ['a jump opcode given to stmt()', (b: Builder) => { b.stmt(JEQ, 0); }, /use jump\(\)/],
  ] as const)('refuses %s', (_what, make, message) => {
    const b = new Builder();
    expect(() => { make(b); b.build(); }).toThrow(BpfError);
    const b2 = new Builder();
    expect(() => { make(b2); b2.build(); }).toThrow(message);
  });
});
