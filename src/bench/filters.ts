/**
 * The filters of the BPF-only targets, derived from the persona's plan so
 * that their decision tree has cr-shim's exact shape.
 *
 * bpf-only: every notify action becomes allow; nothing else changes.
 * bpf-nocache: the same program behind one extra load of
 * seccomp_data.instruction_pointer. The kernel's action cache (5.11+,
 * seccomp_cache_prepare_bitmap) emulates a filter per syscall number and gives
 * up at any load other than nr or arch, so with this prefix no number is
 * proven ALLOW and every call runs the filter (src/bpf/cache.ts models it).
 */
import { compilePlan } from '../bpf/compile.js';
import { encode } from '../bpf/encode.js';
import { BPF_ABS, BPF_LD, BPF_W, SECCOMP_DATA, type Insn } from '../bpf/insn.js';
import { validate } from '../bpf/validate.js';
import type { Plan } from '../plan/types.js';

/** The plan with each notify action replaced by allow. */
export function withoutNotify(plan: Plan): Plan {
  return {
    ...plan,
    arches: plan.arches.map((ap) => ({
      ...ap,
      entries: ap.entries.map((e) => (e.action.kind === 'notify' ? { ...e, action: { kind: 'allow' as const } } : e)),
    })),
  };
}

/** `insns` behind a load the action cache cannot follow. Jumps are relative, so prepending keeps them valid. */
export function defeatActionCache(insns: readonly Insn[]): Insn[] {
  const out = [{ code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.instructionPointer }, ...insns];
  validate(out);
  return out;
}

/** Raw filters keyed by target id. */
export function benchFilters(plan: Plan): Record<string, Buffer> {
  const allowAll = compilePlan(withoutNotify(plan)).insns;
  return { 'bpf-only': encode(allowAll), 'bpf-nocache': encode(defeatActionCache(allowAll)) };
}
