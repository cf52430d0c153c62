/**
 * An assembler for classic BPF with symbolic labels. Conditional jumps carry
 * 8-bit offsets; when a target ends up more than 255 insns away, build()
 * inserts a trampoline right after the jump: a copy of the target when the
 * target is a RET (one insn, no extra hop), else a JA (32-bit offset).
 */
import { BpfError } from '../errors.js';
import { BPF_A, BPF_JA, BPF_JMP, BPF_K, BPF_RET, isConditionalJump } from './insn.js';
import type { Insn, Program } from './insn.js';

export interface Label {
  readonly id: number;
  readonly name: string;
}
/** A jump target: a label, or 'next' for the insn that follows the jump. */
export type Target = Label | 'next';

type Item =
  | { kind: 'insn'; insn: Insn; comment: string | undefined }
  | { kind: 'ja'; target: Label; comment: string | undefined }
  | { kind: 'jcond'; code: number; k: number; jt: Target; jf: Target; comment: string | undefined }
  | { kind: 'place'; label: Label };

/** Largest offset a conditional jump's jt/jf can hold. */
export const MAX_COND_OFFSET = 255;

export class Builder {
  private readonly items: Item[] = [];
  private nextId = 0;

  /** A new, not yet placed label. `name` is for messages and trampoline comments. */
  label(name: string): Label {
    return { id: this.nextId++, name };
  }

  /** Bind `label` to the next instruction emitted. */
  place(label: Label): this {
    this.items.push({ kind: 'place', label });
    return this;
  }

  /** Any non-jump instruction. */
  stmt(code: number, k: number, comment?: string): this {
    if (isConditionalJump(code) || code === (BPF_JMP | BPF_JA)) {
      throw new BpfError('bpf build', `stmt() given jump opcode 0x${code.toString(16)}; use jump() or ja()`);
    }
    this.items.push({ kind: 'insn', insn: { code, jt: 0, jf: 0, k: k >>> 0 }, comment });
    return this;
  }

  ret(value: number, comment?: string): this {
    return this.stmt(BPF_RET | BPF_K, value, comment);
  }

  ja(target: Label, comment?: string): this {
    this.items.push({ kind: 'ja', target, comment });
    return this;
  }

  /** A conditional jump (JEQ/JGT/JGE/JSET with K or X). */
  jump(code: number, k: number, jt: Target, jf: Target, comment?: string): this {
    if (!isConditionalJump(code)) {
      throw new BpfError('bpf build', `jump() given non-conditional opcode 0x${code.toString(16)}`);
    }
    this.items.push({ kind: 'jcond', code, k: k >>> 0, jt, jf, comment });
    return this;
  }

  /**
   * Resolve labels and produce the program. Throws BpfError for a label placed
   * twice, used but never placed, placed after the last insn, or a backward jump.
   */
  build(): Program {
    const items = this.withNextLabels();
    for (;;) {
      const { pos } = this.layout(items);
      const grown = this.insertTrampolines(items, pos);
      if (!grown) return this.emit(items, pos);
    }
  }

  /** Replace 'next' targets by labels on the following insn, so trampolines cannot steal them. */
  private withNextLabels(): Item[] {
    const out: Item[] = [];
    for (const item of this.items) {
      if (item.kind === 'jcond' && (item.jt === 'next' || item.jf === 'next')) {
        const next = this.label('next');
        out.push({ ...item, jt: item.jt === 'next' ? next : item.jt, jf: item.jf === 'next' ? next : item.jf });
        out.push({ kind: 'place', label: next });
      } else {
        out.push(item);
      }
    }
    return out;
  }

  private layout(items: readonly Item[]): { pos: Map<number, number>; count: number } {
    const pos = new Map<number, number>();
    let pc = 0;
    for (const item of items) {
      if (item.kind === 'place') {
        if (pos.has(item.label.id)) throw new BpfError('bpf build', `label ${item.label.name} placed twice`);
        pos.set(item.label.id, pc);
      } else {
        pc++;
      }
    }
    for (const [id, at] of pos) {
      if (at >= pc) throw new BpfError('bpf build', `label #${id} placed after the last instruction`);
    }
    return { pos, count: pc };
  }

  /**
   * One pass over the current layout: every conditional jump whose target is
   * out of reach gets a trampoline right after it. Insertions only lengthen
   * other jumps, so the caller repeats until a pass inserts nothing.
   */
  private insertTrampolines(items: Item[], pos: Map<number, number>): boolean {
    const out: Item[] = [];
    let pc = 0;
    for (const item of items) {
      out.push(item);
      if (item.kind === 'place') continue;
      if (item.kind === 'jcond') {
        for (const side of ['jt', 'jf'] as const) {
          const target = item[side] as Label;
          if (this.resolve(target, pos) - pc - 1 > MAX_COND_OFFSET) {
            const hop = this.label(`to ${target.name}`);
            item[side] = hop;
            out.push({ kind: 'place', label: hop }, this.trampoline(items, target));
          }
        }
      }
      pc++;
    }
    const grown = out.length !== items.length;
    items.splice(0, items.length, ...out);
    return grown;
  }

  /** A RET target is copied (no extra hop); anything else is reached by JA. */
  private trampoline(items: readonly Item[], target: Label): Item {
    const at = items.findIndex((it) => it.kind === 'place' && it.label.id === target.id);
    const insnAt = items.slice(at + 1).find((it) => it.kind !== 'place');
    if (insnAt?.kind === 'insn' && (insnAt.insn.code === (BPF_RET | BPF_K) || insnAt.insn.code === (BPF_RET | BPF_A))) {
      return { kind: 'insn', insn: { ...insnAt.insn }, comment: insnAt.comment };
    }
    return { kind: 'ja', target, comment: `trampoline to ${target.name}` };
  }

  private resolve(target: Label, pos: Map<number, number>): number {
    const at = pos.get(target.id);
    if (at === undefined) throw new BpfError('bpf build', `label ${target.name} used but never placed`);
    return at;
  }

  private emit(items: readonly Item[], pos: Map<number, number>): Program {
    const insns: Insn[] = [];
    const comments: (string | undefined)[] = [];
    for (const item of items) {
      if (item.kind === 'place') continue;
      const pc = insns.length;
      const offset = (t: Label): number => {
        const off = this.resolve(t, pos) - pc - 1;
        if (off < 0) throw new BpfError('bpf build', `insn ${pc}: backward jump to ${t.name}`, { pc });
        return off;
      };
      if (item.kind === 'insn') insns.push({ ...item.insn });
      else if (item.kind === 'ja') insns.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: offset(item.target) });
      else insns.push({ code: item.code, jt: offset(item.jt as Label), jf: offset(item.jf as Label), k: item.k });
      comments.push(item.comment);
    }
    return { insns, comments };
  }
}
