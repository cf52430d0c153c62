/**
 * What `cr-shim filter` prints: the filter a persona's plan compiles to,
 * disassembled with the compiler's comment on every line (the runs each
 * branch splits, the syscalls and reasons behind each RET), then the plan
 * itself grouped by action and reason. Every line that is not an instruction
 * starts with `#`, so the text reassembles to the same bytes with
 * `cr-shim bpf asm`.
 */
import { AUDIT_ARCH } from '../arch.js';
import type { Arch } from '../arch.js';
import type { Action, ArchPlan, Plan } from '../plan/types.js';
import { planRuns } from './compile.js';
import { describeAction, nameList, span } from './explain.js';
import { formatLine, statement } from './disasm.js';
import type { DisasmOptions } from './disasm.js';
import { FlowTracker } from './flow.js';
import type { Program } from './insn.js';
import { HEADER, RULE, fmtPc } from './notation.js';
import { reachableFor } from './reach.js';

export interface FilterFacts {
  /** The kernel asked for (uname -r form) and the table release standing for it. */
  persona: { release: string; mainline: string };
  host: { release: string; mainline: string };
  plan: Plan;
  program: Program;
  filter: Buffer;
}

export interface FilterReportOptions extends DisasmOptions {
  /** Show only what applies to this ABI: its plan, and the insns its syscalls can reach. */
  only?: Arch;
}

interface Line {
  pc: number;
  text: string;
  comment: string | undefined;
}

function lines(program: Program, opts: FilterReportOptions): Line[] {
  const flow = new FlowTracker(opts.arch);
  return program.insns.map((insn, pc) => {
    const text = statement(insn, pc, flow.at(pc), opts);
    flow.step(pc, insn);
    return { pc, text, comment: program.comments?.[pc] };
  });
}

/** The pcs shown: all, or those reachable for `only`. */
function shown(program: Program, only: Arch | undefined): Set<number> {
  return only ? reachableFor(program.insns, AUDIT_ARCH[only]) : new Set(program.insns.map((_, pc) => pc));
}

const rank: Record<Action['kind'], number> = { notify: 0, errno: 1, allow: 2 };

/** One ABI's plan, grouped by action and reason: `notify(uname)  uname: sysname, release and …`. */
function planLines(ap: ArchPlan): string[] {
  const groups = new Map<string, { action: Action; reason: string; names: string[] }>();
  for (const e of ap.entries) {
    const key = `${describeAction(e.action)}\u0000${e.reason}`;
    const g = groups.get(key) ?? { action: e.action, reason: e.reason, names: [] };
    g.names.push(e.name);
    groups.set(key, g);
  }
  const sorted = [...groups.values()].sort((x, y) => rank[x.action.kind] - rank[y.action.kind]);
  const width = Math.max(...sorted.map((g) => describeAction(g.action).length));
  const runs = planRuns(ap).length;
  return [
    `# plan for ${ap.arch} (persona tables ${ap.personaRelease}, host tables ${ap.hostRelease}): ${ap.entries.length} syscalls in ${runs} runs; numbers in neither table: ${describeAction(ap.otherwise)}`,
    ...sorted.map((g) => `#   ${describeAction(g.action).padEnd(width)}  ${nameList(g.names, 6)}: ${g.reason}`),
  ];
}

/** The text report. */
export function filterText(facts: FilterFacts, opts: FilterReportOptions = {}): string {
  const { persona, host, plan, program, filter } = facts;
  const pcs = shown(program, opts.only);
  const out = [
    `# cr-shim filter for kernel ${persona.release} (tables ${persona.mainline}; host ${host.release}): ${program.insns.length} insns, ${filter.length} bytes`,
    `# what cr-shim run --kernel ${persona.release} installs; cr-shim bpf asm turns this text back into the same bytes`,
  ];
  if (opts.only) out.push(`# only what applies to ${opts.only}: ${pcs.size} of ${program.insns.length} insns (the rest is left out, so this part does not reassemble)`);
  out.push(HEADER, RULE);
  let skipped: number | undefined;
  const flush = (pc: number): void => {
    if (skipped !== undefined) out.push(`# ${fmtPc(skipped)}..${fmtPc(pc - 1)} not reached by ${opts.only} syscalls`);
    skipped = undefined;
  };
  for (const l of lines(program, opts)) {
    if (!pcs.has(l.pc)) {
      skipped ??= l.pc;
      continue;
    }
    flush(l.pc);
    const insn = program.insns[l.pc]!;
    out.push(formatLine(l.pc, insn, l.text) + (l.comment ? `  # ${l.comment}` : ''));
  }
  flush(program.insns.length);
  out.push('#');
  for (const ap of plan.arches) if (!opts.only || ap.arch === opts.only) out.push(...planLines(ap));
  out.push(`# x32 ABI: ${describeAction(plan.x32)}; any other arch: ${describeAction(plan.unknownArch)}`);
  return out.join('\n') + '\n';
}

/** The JSON report: the bytes, each insn with its text and comment, and the plan with its runs. */
export function filterJson(facts: FilterFacts, opts: FilterReportOptions = {}): unknown {
  const { persona, host, plan, program, filter } = facts;
  const pcs = shown(program, opts.only);
  const arches = plan.arches.filter((ap) => !opts.only || ap.arch === opts.only);
  return {
    kernel: persona.release,
    tables: persona.mainline,
    host,
    ...(opts.only ? { only: opts.only } : {}),
    insns: program.insns.length,
    bytes: filter.toString('hex'),
    program: lines(program, opts)
      .filter((l) => pcs.has(l.pc))
      .map((l) => ({ pc: l.pc, ...program.insns[l.pc]!, text: l.text, comment: l.comment ?? null })),
    plan: {
      persona: plan.persona,
      x32: plan.x32,
      unknownArch: plan.unknownArch,
      arches: arches.map((ap) => ({
        arch: ap.arch,
        personaRelease: ap.personaRelease,
        hostRelease: ap.hostRelease,
        otherwise: ap.otherwise,
        runs: planRuns(ap).map((r) => ({ nrs: span(r.start, r.end), start: r.start, end: r.end, action: r.action, syscalls: r.entries.map((e) => e.name) })),
        entries: ap.entries,
      })),
    },
  };
}
