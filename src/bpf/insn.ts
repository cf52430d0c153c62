/**
 * Classic BPF as seccomp sees it: the instruction shape, opcode fields, return
 * values and the layout of struct seccomp_data. Constants only; the other
 * modules in src/bpf interpret them.
 */

/** struct sock_filter from <linux/filter.h>. */
export interface Insn {
  /** u16 opcode: class | size | mode, or class | op | src. */
  code: number;
  /** u8 offset added to pc+1 when a conditional jump is true. */
  jt: number;
  /** u8 offset added to pc+1 when a conditional jump is false. */
  jf: number;
  /** u32 operand. */
  k: number;
}

/** A filter plus, optionally, one explanation per instruction (same index). */
export interface Program {
  insns: Insn[];
  comments?: (string | undefined)[];
}

// Instruction classes (code & 0x07).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

// Load sizes (code & 0x18).
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

// Load modes (code & 0xe0).
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

// ALU and jump operations (code & 0xf0).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// Operand source (code & 0x08); for RET, BPF_A shares the slot.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;

// MISC operations (code & 0xf8).
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** BPF_MAXINSNS: the longest program the kernel loads. */
export const BPF_MAXINSNS = 4096;
/** BPF_MEMWORDS: scratch memory M[0..15]. */
export const BPF_MEMWORDS = 16;

export const bpfClass = (code: number): number => code & 0x07;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;
export const bpfRval = (code: number): number => code & 0x18;
export const bpfMiscOp = (code: number): number => code & 0xf8;

/** SECCOMP_RET_* from <linux/seccomp.h>. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;
export type SeccompAction = keyof typeof SECCOMP_RET;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

/**
 * The action a return value selects. The kernel treats an action it does not
 * know as KILL_PROCESS (kernel/seccomp.c, __seccomp_filter default case).
 */
export function actionOf(ret: number): { action: SeccompAction; known: boolean } {
  const full = (ret & SECCOMP_RET_ACTION_FULL) >>> 0;
  for (const [name, value] of Object.entries(SECCOMP_RET) as [SeccompAction, number][]) {
    if (value === full) return { action: name, known: true };
  }
  return { action: 'KILL_PROCESS', known: false };
}

/** struct seccomp_data: nr, arch, instruction_pointer, args[6]; 64 bytes. */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  instructionPointer: 8,
  /** args[i] low 32 bits on little-endian; the high half is at +4. */
  arg: (i: number): number => 16 + 8 * i,
  size: 64,
} as const;

/** Convenience constructors, named after the kernel's BPF_STMT / BPF_JUMP macros. */
export function stmt(code: number, k: number): Insn {
  return { code, jt: 0, jf: 0, k: k >>> 0 };
}
export function jump(code: number, k: number, jt: number, jf: number): Insn {
  return { code, jt, jf, k: k >>> 0 };
}

/** True for the conditional jumps, the only instructions whose jt/jf mean something. */
export function isConditionalJump(code: number): boolean {
  return bpfClass(code) === BPF_JMP && bpfOp(code) !== BPF_JA;
}

/**
 * Whether the k field is meaningful for this opcode. Disassembly drops the
 * fields an opcode ignores; assembly takes them back from the raw columns.
 */
export function usesK(code: number): boolean {
  switch (code) {
    case BPF_RET | BPF_A:
    case BPF_ALU | BPF_NEG:
    case BPF_MISC | BPF_TAX:
    case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_W | BPF_LEN:
    case BPF_LDX | BPF_W | BPF_LEN:
      return false;
  }
  if ((bpfClass(code) === BPF_ALU || isConditionalJump(code)) && bpfSrc(code) === BPF_X) return false;
  return true;
}
