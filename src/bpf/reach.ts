/**
 * Which instructions a filter can execute for one arch: every branch taken
 * while A holds seccomp_data.arch is decided by the arch's AUDIT_ARCH value,
 * every other branch may go either way. Used to show one arch's part of a
 * filter (`cr-shim filter --arch`).
 */
import { BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_RET, bpfClass, bpfOp, bpfSrc, isConditionalJump } from './insn.js';
import type { Insn } from './insn.js';
import { FlowTracker } from './flow.js';

function holds(op: number, a: number, k: number): boolean {
  a >>>= 0;
  k >>>= 0;
  switch (op) {
    case BPF_JEQ: return a === k;
    case BPF_JGT: return a > k;
    case BPF_JGE: return a >= k;
    case BPF_JSET: return (a & k) !== 0;
  }
  return true;
}

/** The pcs reachable from 0 when seccomp_data.arch is `audit`. */
export function reachableFor(insns: readonly Insn[], audit: number): Set<number> {
  const flow = new FlowTracker();
  const live = new Set<number>([0]);
  insns.forEach((insn, pc) => {
    const state = flow.at(pc);
    flow.step(pc, insn);
    if (!live.has(pc)) return;
    const { code, k } = insn;
    if (bpfClass(code) === BPF_RET) return;
    if (code === (BPF_JMP | BPF_JA)) {
      live.add(pc + 1 + k);
    } else if (isConditionalJump(code)) {
      const decided = state.a === 'arch' && bpfSrc(code) === BPF_K;
      const taken = holds(bpfOp(code), audit, k);
      if (!decided || taken) live.add(pc + 1 + insn.jt);
      if (!decided || !taken) live.add(pc + 1 + insn.jf);
    } else {
      live.add(pc + 1);
    }
  });
  return live;
}
