import { describe, expect, it } from 'vitest';
import { validate } from '../../src/bpf/validate.js';
import {
  BPF_ABS, BPF_ALU, BPF_B, BPF_DIV, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_K, BPF_LD, BPF_LDX,
  BPF_LSH, BPF_MEM, BPF_MOD, BPF_RET, BPF_ST, BPF_W, BPF_X, SECCOMP_RET, jump, stmt,
} from '../../src/bpf/insn.js';
import type { Insn } from '../../src/bpf/insn.js';
import { BpfError } from '../../src/errors.js';

const ALLOW = stmt(BPF_RET | BPF_K, SECCOMP_RET.ALLOW);
const LD_NR = stmt(BPF_LD | BPF_W | BPF_ABS, 0);

/** [what, program, pc at fault (undefined = whole program), message fragment] */
const refused: [string, Insn[], number | undefined, RegExp][] = [
  ['empty program', [], undefined, /empty program/],
  ['too long', Array.from({ length: 5000 }, () => ALLOW), undefined, /too long: 5000 > 4096/],
  ['conditional jump past end', [LD_NR, jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 40, 0), ALLOW], 1, /insn 1: jump target 42 past end \(length 3\)/],
  ['false branch past end', [LD_NR, jump(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 1), ALLOW], 1, /jump target 3 past end/],
  ['JA past end', [stmt(BPF_JMP | BPF_JA, 5), ALLOW], 0, /jump target 6 past end/],
  ['JA "backwards" (k wraps)', [ALLOW, stmt(BPF_JMP | BPF_JA, 0xffffffff), ALLOW], 1, /past end/],
  ['JA onto itself-end (k = len-pc-1)', [stmt(BPF_JMP | BPF_JA, 1), ALLOW], 0, /past end/],
  ['no final return', [LD_NR], 0, /no final return/],
  ['no final return after a return', [ALLOW, LD_NR], 1, /no final return/],
  ['unknown opcode', [{ code: 0xff, jt: 0, jf: 0, k: 0 }, ALLOW], 0, /unknown opcode 0xff/],
  ['opcode above u8', [{ code: 0x106, jt: 0, jf: 0, k: 0 }, ALLOW], 0, /unknown opcode 0x106/],
  ['byte load (classic, not seccomp)', [stmt(BPF_LD | BPF_B | BPF_ABS, 0), ALLOW], 0, /not allowed in seccomp/],
  ['MOD (classic, not seccomp)', [stmt(BPF_ALU | BPF_MOD | BPF_K, 3), ALLOW], 0, /not allowed in seccomp/],
  ['misaligned load', [stmt(BPF_LD | BPF_W | BPF_ABS, 2), ALLOW], 0, /load offset 2/],
  ['load past seccomp_data', [stmt(BPF_LD | BPF_W | BPF_ABS, 64), ALLOW], 0, /load offset 64/],
  ['division by constant 0', [stmt(BPF_ALU | BPF_DIV | BPF_K, 0), ALLOW], 0, /division by constant 0/],
  ['shift by 32', [stmt(BPF_ALU | BPF_LSH | BPF_K, 32), ALLOW], 0, /shift by 32/],
  ['scratch memory 16', [stmt(BPF_ST, 16), ALLOW], 0, /scratch memory index 16/],
  ['memory read before write', [stmt(BPF_LD | BPF_MEM, 2), ALLOW], 0, /mem\[2\] may be read before/],
  [
    'memory written on one path only',
    [LD_NR, jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), stmt(BPF_ST, 4), stmt(BPF_LDX | BPF_MEM, 4), ALLOW],
    3,
    /mem\[4\]/,
  ],
];

const accepted: [string, Insn[]][] = [
  ['a lone return', [ALLOW]],
  ['longest allowed', Array.from({ length: 4096 }, () => ALLOW)],
  ['LEN and immediates', [stmt(BPF_LD | BPF_W | 0x80, 0), stmt(BPF_LDX | BPF_IMM, 3), stmt(BPF_LD | BPF_IMM, 3), ALLOW]],
  ['last arg high word', [stmt(BPF_LD | BPF_W | BPF_ABS, 60), ALLOW]],
  ['memory written on both paths', [LD_NR, stmt(BPF_ST, 4), jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), stmt(BPF_ST, 4), stmt(BPF_LDX | BPF_MEM, 4), ALLOW]],
  ['jump to the last insn', [jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 1), ALLOW, ALLOW]],
];

describe('validate: refusals', () => {
  it.each(refused)('%s', (_what, insns, pc, message) => {
    let err: unknown;
    try {
      validate(insns);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect((err as BpfError).pc).toBe(pc);
    expect((err as BpfError).message).toMatch(message);
    expect((err as BpfError).code).toBe('EINVAL');
  });
});

describe('validate: accepted', () => {
  it.each(accepted)('%s', (_what, insns) => {
    expect(() => validate(insns)).not.toThrow();
  });
});
