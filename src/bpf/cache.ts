/**
 * What the kernel's seccomp action cache (5.11+, kernel/seccomp.c
 * seccomp_cache_prepare_bitmap / seccomp_is_const_allow) can prove: for a
 * given arch and syscall number, does the filter return ALLOW without looking
 * at anything but nr and arch? If so the kernel skips the filter for that
 * number entirely. The analysis gives up (false) at any other load, any
 * X-source or non-AND ALU insn, or RET A.
 */
import {
  BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD,
  BPF_RET, BPF_W, SECCOMP_DATA, SECCOMP_RET,
} from './insn.js';
import type { Insn } from './insn.js';

/** True if the kernel's action cache would mark (arch, nr) as always allowed. */
export function cacheProvesAllow(insns: readonly Insn[], arch: number, nr: number): boolean {
  let a = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, k, jt, jf } = insns[pc]!;
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (k === SECCOMP_DATA.nr) a = nr >>> 0;
        else if (k === SECCOMP_DATA.arch) a = arch >>> 0;
        else return false;
        break;
      case BPF_RET | BPF_K:
        return k >>> 0 === SECCOMP_RET.ALLOW;
      case BPF_JMP | BPF_JA:
        pc += k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += a === k >>> 0 ? jt : jf;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += a >= k >>> 0 ? jt : jf;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += a > k >>> 0 ? jt : jf;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        a = (a & k) >>> 0;
        break;
      default:
        return false;
    }
  }
  return false;
}
