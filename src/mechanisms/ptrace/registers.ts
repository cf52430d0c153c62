/**
 * Where a tracer finds a task's syscall registers: byte offsets into struct
 * user (PTRACE_PEEKUSER/POKEUSER), which starts with struct user_regs_struct
 * of arch/x86/include/asm/user_64.h. A 64-bit tracer sees an ia32 task through
 * the same 64-bit layout; only the argument registers differ (int 0x80 ABI).
 *
 *   user_regs_struct ::= r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi
 *                        orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs   (8 bytes each)
 */
import type { Arch } from '../../arch.js';

const REG = ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi', 'orig_rax'] as const;
type Reg = (typeof REG)[number];

/** Byte offset of a register in struct user. */
export function regOffset(r: Reg): number {
  return REG.indexOf(r) * 8;
}

/** The return value register; orig_rax holds the syscall number, -1 to skip the call. */
export const RAX = regOffset('rax');
export const ORIG_RAX = regOffset('orig_rax');

/** Only the x86 ABIs: the tracer runs on an x86_64 host. */
const ARG_REGS: Partial<Record<Arch, readonly Reg[]>> = {
  x86_64: ['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'],
  ia32: ['rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp'],
};

/** Offset of syscall argument i (0..5) for a task of this ABI. */
export function argOffset(arch: Arch, i: number): number {
  const r = ARG_REGS[arch]?.[i];
  if (r === undefined) throw new RangeError(`no register for ${arch} syscall argument ${i}`);
  return regOffset(r);
}

/**
 * Bytes below the stack pointer that a tracer may not use: the x86_64 SysV ABI
 * gives leaf code a 128-byte red zone below rsp; ia32 has none.
 */
export function redZone(arch: Arch): number {
  return arch === 'x86_64' ? 128 : 0;
}
