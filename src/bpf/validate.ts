/**
 * What the kernel accepts as a seccomp filter: bpf_check_classic() in
 * net/core/filter.c (opcode known, operands in range, jumps in range, last
 * insn a RET, scratch memory written before read) and then
 * seccomp_check_filter() in kernel/seccomp.c (a narrower opcode list; loads
 * only 32-bit aligned words inside struct seccomp_data).
 */
import { BpfError } from '../errors.js';
import {
  BPF_A, BPF_ABS, BPF_ALU, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ, BPF_JGE,
  BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MAXINSNS, BPF_MEM,
  BPF_MEMWORDS, BPF_MISC, BPF_MOD, BPF_MSH, BPF_NEG, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_TAX,
  BPF_TXA, BPF_W, BPF_X, SECCOMP_DATA, isConditionalJump,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_OR, BPF_AND, BPF_XOR,
} from './insn.js';
import type { Insn } from './insn.js';

const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR];
const JMP_OPS = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET];

/** chk_code_allowed(): every opcode classic BPF knows. */
const CLASSIC = new Set<number>([
  ...ALU_OPS.flatMap((op) => [BPF_ALU | op | BPF_K, BPF_ALU | op | BPF_X]),
  BPF_ALU | BPF_NEG,
  ...[BPF_W, BPF_H, BPF_B].flatMap((size) => [BPF_LD | size | BPF_ABS, BPF_LD | size | BPF_IND]),
  BPF_LD | BPF_W | BPF_LEN, BPF_LD | BPF_IMM, BPF_LD | BPF_MEM,
  BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_B | BPF_MSH, BPF_LDX | BPF_IMM, BPF_LDX | BPF_MEM,
  BPF_ST, BPF_STX, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA, BPF_RET | BPF_K, BPF_RET | BPF_A,
  BPF_JMP | BPF_JA,
  ...JMP_OPS.flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

/** seccomp_check_filter()'s list. Note what it leaves out: MOD, byte/half loads, IND, MSH. */
const SECCOMP = new Set<number>([
  BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN,
  BPF_RET | BPF_K, BPF_RET | BPF_A,
  ...ALU_OPS.filter((op) => op !== BPF_MOD).flatMap((op) => [BPF_ALU | op | BPF_K, BPF_ALU | op | BPF_X]),
  BPF_ALU | BPF_NEG,
  BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
  BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
  BPF_JMP | BPF_JA,
  ...JMP_OPS.flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

/** True if seccomp accepts this opcode at all (operands aside). */
export function isSeccompOpcode(code: number): boolean {
  return SECCOMP.has(code);
}

const hex = (v: number, width = 2): string => `0x${v.toString(16).padStart(width, '0')}`;

function refuse(pc: number | undefined, reason: string): never {
  const where = pc === undefined ? '' : `insn ${pc}: `;
  throw new BpfError('bpf validate', where + reason, { pc, code: 'EINVAL' });
}

/**
 * Check a filter the way the kernel does before SECCOMP_SET_MODE_FILTER
 * accepts it. Returns nothing; throws BpfError (with `pc` where one applies)
 * naming the first reason the kernel would answer EINVAL.
 */
export function validate(insns: readonly Insn[]): void {
  const n = insns.length;
  if (n === 0) refuse(undefined, 'empty program');
  if (n > BPF_MAXINSNS) refuse(undefined, `too long: ${n} > ${BPF_MAXINSNS}`);

  insns.forEach((insn, pc) => {
    const { code, k } = insn;
    if (!CLASSIC.has(code)) refuse(pc, `unknown opcode ${hex(code)}`);
    if (!SECCOMP.has(code)) refuse(pc, `opcode ${hex(code)} is classic BPF but not allowed in seccomp filters`);
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (k >= SECCOMP_DATA.size || k % 4 !== 0) {
          refuse(pc, `load offset ${k} not a 4-byte-aligned offset inside seccomp_data (${SECCOMP_DATA.size} bytes)`);
        }
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
        if (k === 0) refuse(pc, 'division by constant 0');
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K:
        if (k >= 32) refuse(pc, `shift by ${k} (must be < 32)`);
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) refuse(pc, `scratch memory index ${k} (must be < ${BPF_MEMWORDS})`);
        break;
      case BPF_JMP | BPF_JA:
        // The kernel compares k as unsigned, so a "negative" jump is simply out of range.
        if (k >= n - pc - 1) refuse(pc, `jump target ${pc + 1 + k} past end (length ${n})`);
        break;
    }
    if (isConditionalJump(code)) {
      for (const off of [insn.jt, insn.jf]) {
        if (pc + off + 1 >= n) refuse(pc, `jump target ${pc + 1 + off} past end (length ${n})`);
      }
    }
  });

  const last = insns[n - 1]!;
  if (last.code !== (BPF_RET | BPF_K) && last.code !== (BPF_RET | BPF_A)) refuse(n - 1, 'no final return');
  checkLoadsAfterStores(insns);
}

/**
 * check_load_and_stores(): along every path, M[i] must be stored before it is
 * loaded. Jumps are forward only, so one pass in pc order sees every
 * predecessor of an insn before the insn itself.
 */
function checkLoadsAfterStores(insns: readonly Insn[]): void {
  const all = (1 << BPF_MEMWORDS) - 1;
  const masks = new Array<number>(insns.length).fill(all);
  let valid = 0;
  insns.forEach((insn, pc) => {
    valid &= masks[pc]!;
    const { code, k } = insn;
    if (code === BPF_ST || code === BPF_STX) {
      valid |= 1 << k;
    } else if (code === (BPF_LD | BPF_MEM) || code === (BPF_LDX | BPF_MEM)) {
      if (!(valid & (1 << k))) refuse(pc, `mem[${k}] may be read before it is written`);
    } else if (code === (BPF_JMP | BPF_JA)) {
      narrow(masks, pc + 1 + k, valid);
      valid = all;
    } else if (isConditionalJump(code)) {
      narrow(masks, pc + 1 + insn.jt, valid);
      narrow(masks, pc + 1 + insn.jf, valid);
      valid = all;
    }
  });
}

function narrow(masks: number[], target: number, valid: number): void {
  masks[target] = (masks[target] ?? 0) & valid;
}
