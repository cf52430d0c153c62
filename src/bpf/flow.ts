/**
 * What register A holds (arch, nr, or something else) and which arch is in
 * force at each pc, so disassembly and assembly can name syscalls per arch
 * the way seccomp-tools does. The rule is deliberately simple:
 *   - `A = arch` / `A = sys_number` set what A holds; other writes to A forget it;
 *   - a JEQ against an AUDIT_ARCH value while A holds the arch puts that arch in
 *     force on the true branch; the false branch keeps what it had;
 *   - where paths with different facts meet, the fact is dropped.
 * Jumps only go forward, so visiting pcs in order sees every predecessor first.
 */
import { archFromAudit } from '../arch.js';
import type { Arch } from '../arch.js';
import {
  BPF_ABS, BPF_ALU, BPF_JA, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_MISC, BPF_RET, BPF_TXA, BPF_W,
  SECCOMP_DATA, bpfClass, isConditionalJump,
} from './insn.js';
import type { Insn } from './insn.js';

export interface FlowState {
  a: 'arch' | 'nr' | 'other';
  arch: Arch | undefined;
}

const UNKNOWN: FlowState = { a: 'other', arch: undefined };

function merge(x: FlowState, y: FlowState): FlowState {
  return { a: x.a === y.a ? x.a : 'other', arch: x.arch === y.arch ? x.arch : undefined };
}

export class FlowTracker {
  private readonly incoming = new Map<number, FlowState>();

  /** `arch`: the arch assumed before any check (seccomp-tools' --arch); undefined = none. */
  constructor(arch?: Arch) {
    this.incoming.set(0, { a: 'other', arch });
  }

  /** The state on entry to `pc`; unreachable pcs know nothing. */
  at(pc: number): FlowState {
    return this.incoming.get(pc) ?? UNKNOWN;
  }

  /** Record `insn` at `pc`, propagating its effect to its successors. Call in pc order. */
  step(pc: number, insn: Insn): void {
    const s = this.at(pc);
    const { code, k } = insn;
    if (code === (BPF_LD | BPF_W | BPF_ABS)) {
      const a = k === SECCOMP_DATA.nr ? 'nr' : k === SECCOMP_DATA.arch ? 'arch' : 'other';
      this.flow(pc + 1, { ...s, a });
    } else if (bpfClass(code) === BPF_LD || bpfClass(code) === BPF_ALU || code === (BPF_MISC | BPF_TXA)) {
      this.flow(pc + 1, { ...s, a: 'other' });
    } else if (code === (BPF_JMP | BPF_JA)) {
      this.flow(pc + 1 + k, s);
    } else if (isConditionalJump(code)) {
      const matched = code === (BPF_JMP | BPF_JEQ | BPF_K) && s.a === 'arch' ? { ...s, arch: archFromAudit(k) } : s;
      this.flow(pc + 1 + insn.jt, matched);
      this.flow(pc + 1 + insn.jf, s);
    } else if (bpfClass(code) !== BPF_RET) {
      this.flow(pc + 1, s);
    }
  }

  private flow(pc: number, s: FlowState): void {
    const prev = this.incoming.get(pc);
    this.incoming.set(pc, prev ? merge(prev, s) : s);
  }
}
