/**
 * Plan → classic BPF.
 *
 * Layout:
 *   A = arch; one JEQ per ArchPlan (x86_64 first) to its section; else RET unknownArch.
 *   section: A = nr; [x86_64 only: nr >= X32_SYSCALL_BIT → RET x32];
 *            a balanced binary search (JGE on run boundaries) over runs of
 *            consecutive numbers sharing one action; leaves jump to the
 *            section's shared RETs.
 *
 * The filter loads only nr and arch and compares only with K, so the kernel's
 * action cache (5.11+) can prove ALLOW per number and skip the filter for
 * allowed syscalls (see cache.ts). Each call runs O(log runs) instructions.
 */
import { AUDIT_ARCH, X32_SYSCALL_BIT } from '../arch.js';
import type { Arch } from '../arch.js';
import { BpfError } from '../errors.js';
import type { Action, ArchPlan, Plan, PlanEntry } from '../plan/types.js';
import { Builder } from './builder.js';
import type { Label } from './builder.js';
import { BPF_ABS, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_K, BPF_LD, BPF_W, SECCOMP_DATA, SECCOMP_RET } from './insn.js';
import type { Program } from './insn.js';
import { validate } from './validate.js';

/** Largest errno SECCOMP_RET_ERRNO passes through (MAX_ERRNO; the kernel clamps above it). */
export const MAX_ERRNO = 4095;

/** The SECCOMP_RET_* value an action compiles to. Throws BpfError for an errno outside 0..4095. */
export function actionReturn(action: Action): number {
  switch (action.kind) {
    case 'allow':
      return SECCOMP_RET.ALLOW;
    case 'errno':
      if (!Number.isInteger(action.errno) || action.errno < 0 || action.errno > MAX_ERRNO) {
        throw new BpfError('bpf compile', `errno ${action.errno} outside 0..${MAX_ERRNO}`);
      }
      return (SECCOMP_RET.ERRNO | action.errno) >>> 0;
    case 'notify':
      return SECCOMP_RET.USER_NOTIF;
  }
}

export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'allow':
      return 'allow';
    case 'errno':
      return `errno(${action.errno})`;
    case 'notify':
      return `notify(${action.handler})`;
  }
}

/** A maximal range [start, end] of numbers with one action. */
export interface Run {
  start: number;
  end: number;
  ret: number;
  /** What the plan says, for comments: the entries covered, or none for a gap. */
  entries: PlanEntry[];
  action: Action;
}

/** The highest number + 1 a section's tree must cover. */
function limitOf(arch: Arch): number {
  return arch === 'x86_64' ? X32_SYSCALL_BIT : 2 ** 32;
}

/**
 * Collapse an ArchPlan into runs covering 0..limit-1: listed numbers get
 * their action, the rest `otherwise`; neighbours with equal RETs merge.
 * Throws BpfError for duplicate or out-of-range numbers.
 */
export function planRuns(ap: ArchPlan): Run[] {
  const limit = limitOf(ap.arch);
  const sorted = [...ap.entries].sort((x, y) => x.nr - y.nr);
  const runs: Run[] = [];
  const push = (start: number, end: number, action: Action, entries: PlanEntry[]): void => {
    const ret = actionReturn(action);
    const last = runs[runs.length - 1];
    if (last && last.ret === ret && last.end + 1 === start) {
      last.end = end;
      last.entries.push(...entries);
    } else {
      runs.push({ start, end, ret, entries: [...entries], action });
    }
  };
  let cursor = 0;
  for (const e of sorted) {
    if (!Number.isInteger(e.nr) || e.nr < 0 || e.nr >= limit) {
      throw new BpfError('bpf compile', `${ap.arch}: syscall number ${e.nr} (${e.name}) outside 0..${limit - 1}`);
    }
    if (e.nr < cursor) throw new BpfError('bpf compile', `${ap.arch}: syscall number ${e.nr} listed twice`);
    if (e.nr > cursor) push(cursor, e.nr - 1, ap.otherwise, []);
    push(e.nr, e.nr, e.action, [e]);
    cursor = e.nr + 1;
  }
  if (cursor < limit) push(cursor, limit - 1, ap.otherwise, []);
  return runs;
}

function runComment(arch: Arch, run: Run): string {
  const span = run.start === run.end ? `${run.start}` : `${run.start}..${run.end}`;
  const names = run.entries.map((e) => e.name);
  const shown = names.length > 4 ? `${names.slice(0, 3).join(', ')}, … (${names.length})` : names.join(', ');
  return `${arch} nr ${span}: ${describeAction(run.action)}${shown ? ` [${shown}]` : ' [not in tables]'}`;
}

/** Shared RET instructions of one section, emitted once each at the section's end. */
class Returns {
  private readonly labels = new Map<number, { label: Label; comment: string }>();
  constructor(private readonly b: Builder, private readonly scope: string) {}

  to(ret: number, comment: string): Label {
    let r = this.labels.get(ret);
    if (!r) {
      r = { label: this.b.label(`${this.scope} return 0x${ret.toString(16)}`), comment };
      this.labels.set(ret, r);
    }
    return r.label;
  }

  emit(): void {
    for (const [ret, { label, comment }] of this.labels) this.b.place(label).ret(ret, comment);
  }
}

/** Emit the binary search over runs[lo..hi] at `at`; the caller has ensured lo < hi. */
function emitTree(b: Builder, rets: Returns, arch: Arch, runs: readonly Run[], lo: number, hi: number, at: Label): void {
  const mid = lo + Math.floor((hi - lo + 1) / 2);
  const leaf = (i: number): Label => rets.to(runs[i]!.ret, `${arch}: ${describeAction(runs[i]!.action)}`);
  const left = mid - 1 === lo ? leaf(lo) : b.label(`${arch} runs ${lo}..${mid - 1}`);
  const right = hi === mid ? leaf(mid) : b.label(`${arch} runs ${mid}..${hi}`);
  const boundary = runs[mid]!;
  b.place(at).jump(BPF_JMP | BPF_JGE | BPF_K, boundary.start, right, left, `from ${runComment(arch, boundary)}`);
  // The left half follows immediately, so its jump offset is 0.
  if (mid - 1 !== lo) emitTree(b, rets, arch, runs, lo, mid - 1, left);
  if (hi !== mid) emitTree(b, rets, arch, runs, mid, hi, right);
}

/**
 * Compile a plan into a seccomp filter. The program is validated before it is
 * returned. Throws BpfError for a plan that cannot be compiled (duplicate arch
 * or number, errno out of range) or a result the kernel would refuse.
 */
export function compilePlan(plan: Plan): Program {
  const seen = new Set<Arch>();
  for (const ap of plan.arches) {
    if (seen.has(ap.arch)) throw new BpfError('bpf compile', `arch ${ap.arch} planned twice`);
    seen.add(ap.arch);
  }
  const order = [...plan.arches].sort((x, y) => Number(y.arch === 'x86_64') - Number(x.arch === 'x86_64'));

  const b = new Builder();
  const LD_W_ABS = BPF_LD | BPF_W | BPF_ABS;
  b.stmt(LD_W_ABS, SECCOMP_DATA.arch, 'load arch');
  const sections = order.map((ap) => ({ ap, label: b.label(`${ap.arch} section`) }));
  for (const { ap, label } of sections) {
    b.jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH[ap.arch], label, 'next', `arch ${ap.arch}?`);
  }
  b.ret(actionReturn(plan.unknownArch), `unknown arch: ${describeAction(plan.unknownArch)}`);

  for (const { ap, label } of sections) {
    const rets = new Returns(b, ap.arch);
    b.place(label).stmt(LD_W_ABS, SECCOMP_DATA.nr, `${ap.arch}: load nr`);
    if (ap.arch === 'x86_64') {
      const x32 = rets.to(actionReturn(plan.x32), `x32: ${describeAction(plan.x32)}`);
      // Everything >= the bit goes to plan.x32, including nr -1 (0xffffffff), which
      // a tracer uses to skip a call; no native x86_64 number is that large.
      b.jump(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, x32, 'next', 'x32 ABI (X32_SYSCALL_BIT set)');
    }
    const runs = planRuns(ap);
    if (runs.length === 1) {
      b.ja(rets.to(runs[0]!.ret, runComment(ap.arch, runs[0]!)), `${ap.arch}: one action for every number`);
    } else {
      emitTree(b, rets, ap.arch, runs, 0, runs.length - 1, b.label(`${ap.arch} tree`));
    }
    rets.emit();
  }

  const program = b.build();
  validate(program.insns);
  return program;
}
