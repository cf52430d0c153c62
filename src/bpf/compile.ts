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
 * A number with argument rules (PlanEntry.argRules) is a run of its own whose
 * leaf jumps to its argument checks, after the tree: only that number loads an
 * argument, so the cache still proves every other number.
 */
import { AUDIT_ARCH, X32_SYSCALL_BIT } from '../arch.js';
import type { Arch } from '../arch.js';
import { BpfError } from '../errors.js';
import type { Action, ArchPlan, Plan, PlanEntry } from '../plan/types.js';
import { Builder } from './builder.js';
import type { Label } from './builder.js';
import { branchComment, describeAction, returnComment, runLabel, span } from './explain.js';
import type { Run } from './explain.js';
import { BPF_ABS, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_W, SECCOMP_DATA, SECCOMP_RET } from './insn.js';
import type { Program } from './insn.js';
import { validate } from './validate.js';

export { describeAction };
export type { Run };

/** Largest errno SECCOMP_RET_ERRNO passes through (MAX_ERRNO; the kernel clamps above it). */
export const MAX_ERRNO = 4095;

/**
 * How the filter hands a `notify` call to the supervisor, by mechanism:
 * USER_NOTIF (0x7fc00000) for the notification listener, TRACE | data
 * (0x7ff00000) for a ptrace tracer, TRAP | data (0x00030000) for an
 * in-process SIGSYS handler. Only the action's value changes; the plan does not.
 */
export interface CompileOptions {
  /** The full SECCOMP_RET_* value for notify actions; default SECCOMP_RET.USER_NOTIF. */
  notifyReturn?: number;
  /**
   * Explain the search tree's branches and the shared RETs in Program.comments (default true).
   * Naming every syscall behind each RET is most of the compile's time: false when nobody prints them.
   */
  comments?: boolean;
}

/** The SECCOMP_RET_* value an action compiles to. Throws BpfError for an errno outside 0..4095. */
export function actionReturn(action: Action, opts: CompileOptions = {}): number {
  switch (action.kind) {
    case 'allow':
      return SECCOMP_RET.ALLOW;
    case 'errno':
      if (!Number.isInteger(action.errno) || action.errno < 0 || action.errno > MAX_ERRNO) {
        throw new BpfError('bpf compile', `errno ${action.errno} outside 0..${MAX_ERRNO}`);
      }
      return (SECCOMP_RET.ERRNO | action.errno) >>> 0;
    case 'notify':
      return (opts.notifyReturn ?? SECCOMP_RET.USER_NOTIF) >>> 0;
  }
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
export function planRuns(ap: ArchPlan, opts: CompileOptions = {}): Run[] {
  const limit = limitOf(ap.arch);
  const sorted = [...ap.entries].sort((x, y) => x.nr - y.nr);
  const runs: Run[] = [];
  const push = (start: number, end: number, action: Action, entries: PlanEntry[]): void => {
    const ret = actionReturn(action, opts);
    const last = runs[runs.length - 1];
    const argRules = entries[0]?.argRules?.length ? entries[0].argRules : undefined;
    // A number with argument rules is a run of its own: its leaf checks arguments.
    if (last && last.ret === ret && last.end + 1 === start && !last.argRules && !argRules) {
      last.end = end;
      last.entries.push(...entries);
    } else {
      runs.push({ start, end, ret, entries: [...entries], action, ...(argRules ? { argRules } : {}) });
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

/**
 * Shared RET instructions of one section, emitted once each at the section's
 * end. Each remembers the runs that end at it, so its comment can name them.
 */
class Returns {
  private readonly rets = new Map<number, { label: Label; action: Action; runs: Run[]; extra: string[] }>();
  constructor(private readonly b: Builder, private readonly arch: Arch, private readonly opts: CompileOptions = {}) {}

  /** The label of the RET for `action`; `why` is a run that ends there or a cause in words. */
  to(action: Action, why: Run | string): Label {
    const ret = actionReturn(action, this.opts);
    let r = this.rets.get(ret);
    if (!r) {
      r = { label: this.b.label(`${this.arch} return 0x${ret.toString(16)}`), action, runs: [], extra: [] };
      this.rets.set(ret, r);
    }
    if (typeof why === 'string') r.extra.push(why);
    else r.runs.push(why);
    return r.label;
  }

  emit(): void {
    for (const [ret, { label, action, runs, extra }] of this.rets) {
      this.b.place(label).ret(ret, this.opts.comments === false ? undefined : returnComment(this.arch, action, runs, extra));
    }
  }
}

/**
 * Argument checks of the runs that have rules, emitted after the tree. Each rule loads the low
 * word of its argument (after its guard argument matched) and compares it with K: the first
 * match returns the rule's action, a call no rule matches returns the run's own action.
 */
class ArgBlocks {
  private readonly blocks: { label: Label; run: Run }[] = [];
  constructor(private readonly b: Builder, private readonly rets: Returns, private readonly arch: Arch) {}

  /** The leaf for run: its RET, or the start of its argument checks. */
  leaf(run: Run): Label {
    if (!run.argRules) return this.rets.to(run.action, run);
    const label = this.b.label(`${this.arch} ${runLabel(run)} argument checks`);
    this.blocks.push({ label, run });
    return label;
  }

  emit(): void {
    const LD_W_ABS = BPF_LD | BPF_W | BPF_ABS;
    for (const { label, run } of this.blocks) {
      this.b.place(label);
      const name = run.entries[0]?.name ?? span(run.start, run.end);
      for (const rule of run.argRules ?? []) {
        if (rule.arg < 0 || rule.arg > 5 || (rule.when && (rule.when.arg < 0 || rule.when.arg > 5))) {
          throw new BpfError('bpf compile', `${this.arch}: ${name}: argument index outside 0..5`);
        }
        const next = this.b.label(`${this.arch} ${name} next rule`);
        const to = this.rets.to(rule.action, `${name}: ${rule.reason}`);
        if (rule.when) {
          this.b.stmt(LD_W_ABS, SECCOMP_DATA.arg(rule.when.arg), `${name}: load args[${rule.when.arg}]`);
          this.b.jump(BPF_JMP | BPF_JEQ | BPF_K, rule.when.equals >>> 0, 'next', next, `${name}: args[${rule.when.arg}] == ${rule.when.equals}?`);
        }
        this.b.stmt(LD_W_ABS, SECCOMP_DATA.arg(rule.arg), `${name}: load args[${rule.arg}]`);
        if (rule.match.kind === 'in') {
          for (const v of rule.match.values) this.b.jump(BPF_JMP | BPF_JEQ | BPF_K, v >>> 0, to, 'next', `${name}: args[${rule.arg}] == 0x${(v >>> 0).toString(16)}: ${describeAction(rule.action)}`);
        } else {
          this.b.jump(BPF_JMP | BPF_JSET | BPF_K, rule.match.mask >>> 0, to, 'next', `${name}: args[${rule.arg}] & 0x${(rule.match.mask >>> 0).toString(16)}: ${describeAction(rule.action)}`);
        }
        this.b.place(next);
      }
      this.b.ja(this.rets.to(run.action, run), `${name}: no argument rule matched: ${describeAction(run.action)}`);
    }
  }
}

/** Emit the binary search over runs[lo..hi] at `at`; the caller has ensured lo < hi. */
function emitTree(b: Builder, rets: Returns, args: ArgBlocks, arch: Arch, runs: readonly Run[], lo: number, hi: number, at: Label, comments: boolean): void {
  const mid = lo + Math.floor((hi - lo + 1) / 2);
  const leaf = (i: number): Label => args.leaf(runs[i]!);
  const left = mid - 1 === lo ? leaf(lo) : b.label(`${arch} runs ${lo}..${mid - 1}`);
  const right = hi === mid ? leaf(mid) : b.label(`${arch} runs ${mid}..${hi}`);
  const boundary = runs[mid]!;
  const side = (from: number, to: number): Run | [number, number] => (from === to ? runs[from]! : [runs[from]!.start, runs[to]!.end]);
  b.place(at).jump(BPF_JMP | BPF_JGE | BPF_K, boundary.start, right, left, comments ? branchComment(arch, side(lo, mid - 1), side(mid, hi)) : undefined);
  // The left half follows immediately, so its jump offset is 0.
  if (mid - 1 !== lo) emitTree(b, rets, args, arch, runs, lo, mid - 1, left, comments);
  if (hi !== mid) emitTree(b, rets, args, arch, runs, mid, hi, right, comments);
}

/**
 * Compile a plan into a seccomp filter. The program is validated before it is
 * returned. Throws BpfError for a plan that cannot be compiled (duplicate arch
 * or number, errno out of range) or a result the kernel would refuse.
 */
export function compilePlan(plan: Plan, opts: CompileOptions = {}): Program {
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
  b.ret(actionReturn(plan.unknownArch, opts), `unknown arch: ${describeAction(plan.unknownArch)}`);

  for (const { ap, label } of sections) {
    const rets = new Returns(b, ap.arch, opts);
    b.place(label).stmt(LD_W_ABS, SECCOMP_DATA.nr, `${ap.arch}: load nr`);
    if (ap.arch === 'x86_64') {
      const x32 = rets.to(plan.x32, 'x32 ABI');
      // Everything >= the bit goes to plan.x32, including nr -1 (0xffffffff), which
      // a tracer uses to skip a call; no native x86_64 number is that large.
      b.jump(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, x32, 'next', 'x32 ABI (X32_SYSCALL_BIT set)');
    }
    const runs = planRuns(ap, opts);
    const args = new ArgBlocks(b, rets, ap.arch);
    if (runs.length === 1) {
      b.ja(args.leaf(runs[0]!), `${ap.arch}: one action for every number`);
    } else {
      emitTree(b, rets, args, ap.arch, runs, 0, runs.length - 1, b.label(`${ap.arch} tree`), opts.comments !== false);
    }
    args.emit();
    rets.emit();
  }

  const program = b.build();
  validate(program.insns);
  return program;
}
