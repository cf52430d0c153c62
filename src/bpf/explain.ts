/**
 * The compiler's per-instruction comments, in words: what a run of syscall
 * numbers is, what a branch of the search tree splits, and which syscalls (and
 * why) end at a shared RET. Kept short enough for one disassembly line; the
 * full plan reasons are printed by `cr-shim filter`.
 */
import type { Arch } from '../arch.js';
import type { Action, ArgRule, PlanEntry } from '../plan/types.js';

/** A maximal range [start, end] of numbers with one action. */
export interface Run {
  start: number;
  end: number;
  ret: number;
  /** What the plan says, for comments: the entries covered, or none for a gap. */
  entries: PlanEntry[];
  action: Action;
  /** The entry's argument rules: the run is one number, and its leaf checks arguments before `action`. */
  argRules?: ArgRule[];
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

const MAX_NAMES = 3;
const MAX_SPANS = 4;

/** `a, b, c` or `a, b, c, … (12)`. */
export function nameList(names: readonly string[], max = MAX_NAMES): string {
  if (names.length <= max + 1) return names.join(', ');
  return `${names.slice(0, max).join(', ')}, … (${names.length})`;
}

export const span = (start: number, end: number): string => (start === end ? `${start}` : `${start}..${end}`);

/** One run, as a leaf of the search tree: `3..62 allow [close, stat, fstat, … (60)]`. */
export function runLabel(run: Run): string {
  const names = run.entries.map((e) => e.name);
  return `${span(run.start, run.end)} ${describeAction(run.action)} [${names.length ? nameList(names) : 'no syscall'}]`;
}

/** A search-tree node: below its boundary | at or above it; each side a leaf's run or a range of numbers. */
export function branchComment(arch: Arch, below: Run | [number, number], above: Run | [number, number]): string {
  const side = (s: Run | [number, number]): string => (Array.isArray(s) ? span(s[0], s[1]) : runLabel(s));
  return `${arch} ${side(below)} | ${side(above)}`;
}

/**
 * Why an entry has its action, in a few words: the handler for notify, else
 * the plan reason up to its first explanation (`removed in 3.1`,
 * `this host's kernel was built without it (CONFIG_MODULES)`).
 */
function shortReason(e: PlanEntry): string {
  if (e.action.kind === 'notify') return e.action.handler;
  return e.reason.split(/: |; /)[0]!;
}

/** Numbers of a run no plan entry lists, as spans. */
function gaps(run: Run): [number, number][] {
  const out: [number, number][] = [];
  let cursor = run.start;
  for (const e of [...run.entries].sort((x, y) => x.nr - y.nr)) {
    if (e.nr > cursor) out.push([cursor, e.nr - 1]);
    cursor = e.nr + 1;
  }
  if (cursor <= run.end) out.push([cursor, run.end]);
  return out;
}

/**
 * The comment of a shared RET: every syscall that ends there, grouped by the
 * reason it does, then the numbers no table names, then any extra causes
 * (`x32 ABI`). E.g. `x86_64 errno(38): x32 ABI; not yet in 2.6.32: recvmmsg,
 * fanotify_init, fanotify_mark, … (84); no syscall: 134, 174, 177..178, … (12 ranges)`,
 * or `x86_64 notify: proc-identity [open, openat]; uname; sysctl [_sysctl]`.
 */
export function returnComment(arch: Arch, action: Action, runs: readonly Run[], extra: readonly string[] = []): string {
  const sorted = [...runs].sort((x, y) => x.start - y.start);
  const groups = new Map<string, string[]>();
  for (const run of sorted) {
    for (const e of run.entries) {
      const key = shortReason(e);
      groups.set(key, [...(groups.get(key) ?? []), e.name]);
    }
  }
  const parts = [...extra];
  if (action.kind === 'notify') {
    for (const [handler, names] of groups) parts.push(names.length === 1 && names[0] === handler ? handler : `${handler} [${nameList(names)}]`);
  } else {
    parts.push(...mergeQualified(groups));
  }
  const holes = sorted.flatMap(gaps);
  if (holes.length > 0) {
    const shown = holes.slice(0, MAX_SPANS).map(([s, e]) => span(s, e)).join(', ');
    parts.push(`no syscall: ${shown}${holes.length > MAX_SPANS ? `, … (${holes.length} ranges)` : ''}`);
  }
  // Every handler shares the one USER_NOTIF return: name the kind, the parts name the handlers.
  const head = action.kind === 'notify' ? 'notify' : describeAction(action);
  return `${arch} ${head}: ${parts.join('; ')}`;
}

/**
 * `why: names` per reason, with reasons that differ only in a trailing
 * parenthesis folded into one: `this host's kernel was built without it:
 * init_module, delete_module (CONFIG_MODULES), kexec_load (CONFIG_KEXEC)`.
 */
function mergeQualified(groups: ReadonlyMap<string, string[]>): string[] {
  const byBase = new Map<string, [qualifier: string | undefined, names: string[]][]>();
  for (const [why, names] of groups) {
    const m = /^(.*?) \(([^()]*)\)$/.exec(why);
    const [base, qualifier] = m ? [m[1]!, m[2]!] : [why, undefined];
    byBase.set(base, [...(byBase.get(base) ?? []), [qualifier, names]]);
  }
  const out: string[] = [];
  for (const [base, subs] of byBase) {
    if (subs.length === 1) {
      const [qualifier, names] = subs[0]!;
      out.push(`${qualifier === undefined ? base : `${base} (${qualifier})`}: ${nameList(names)}`);
    } else {
      out.push(`${base}: ${subs.map(([q, names]) => (q === undefined ? nameList(names) : `${nameList(names)} (${q})`)).join(', ')}`);
    }
  }
  return out;
}
