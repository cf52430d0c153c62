/**
 * Names shared by disasm.ts and asm.ts: seccomp-tools' notation for arches,
 * seccomp_data fields and return actions.
 */
import type { Arch } from '../arch.js';
import {
  BPF_ADD, BPF_AND, BPF_DIV, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET, BPF_LSH, BPF_MOD, BPF_MUL, BPF_OR,
  BPF_RSH, BPF_SUB, BPF_XOR,
} from './insn.js';

/** Syscall name for a number in an arch's table (supplied by the tables module). */
export type SyscallName = (arch: Arch, nr: number) => string | undefined;
/** Syscall number for a name in an arch's table. */
export type SyscallNumber = (arch: Arch, name: string) => number | undefined;

export const ARCH_SYMBOL: Record<Arch, string> = {
  x86_64: 'ARCH_X86_64',
  ia32: 'ARCH_I386',
  aarch64: 'ARCH_AARCH64',
};

/** ALU op ↔ compound-assignment operator (`A += v`). */
export const ALU_SYMBOL: ReadonlyMap<number, string> = new Map([
  [BPF_ADD, '+'], [BPF_SUB, '-'], [BPF_MUL, '*'], [BPF_DIV, '/'], [BPF_OR, '|'], [BPF_AND, '&'],
  [BPF_LSH, '<<'], [BPF_RSH, '>>'], [BPF_MOD, '%'], [BPF_XOR, '^'],
]);

/** Jump op → [operator when true, operator when negated]. JSET is written `A & v`. */
export const JUMP_SYMBOL: ReadonlyMap<number, readonly [string, string]> = new Map([
  [BPF_JEQ, ['==', '!='] as const],
  [BPF_JGT, ['>', '<='] as const],
  [BPF_JGE, ['>=', '<'] as const],
  [BPF_JSET, ['&', '!&'] as const],
]);

/** Zero-padded decimal pc, as seccomp-tools prints line numbers and goto targets. */
export const fmtPc = (pc: number): string => pc.toString().padStart(4, '0');
export const fmtHex = (v: number, width = 0): string => `0x${(v >>> 0).toString(16).padStart(width, '0')}`;

export const HEADER = ' line  CODE  JT   JF      K';
export const RULE = '=================================';
