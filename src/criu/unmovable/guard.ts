/**
 * The step `cr-shim dump` runs before anything is frozen: walk the live tree (walk.ts), and
 * when something cannot move either refuse with the list and the choices (UnmovableError,
 * nothing frozen, nothing signalled) or, with --terminate-unmovable, say what terminating does,
 * end the tasks that hold it (terminate.ts), walk again, and return the record for the manifest.
 */
import { ShimError } from '../../errors.js';
import type { Manifest } from '../manifest.js';
import { renderChoices, renderFindings, summary } from './report.js';
import { planTermination, terminate } from './terminate.js';
import { walkTree, type LiveReport } from './walk.js';

export const DEFAULT_GRACE_MS = 5000;

/** The tree holds what cannot move; `details` are the per-task list and the choices, for stderr before the one-line message. */
export class UnmovableError extends ShimError {
  readonly report: LiveReport;
  readonly details: string[];
  constructor(report: LiveReport, graceMs: number, prefix = '') {
    super('dump', `${prefix}${summary(report)}; nothing was frozen`, { code: 'EUNMOVABLE', exitStatus: 1, hint: 'pick one of the choices above' });
    this.report = report;
    this.details = [...renderFindings(report), ...renderChoices(report, graceMs)];
  }
}

export interface UnmovableOptions {
  terminate: boolean;
  graceMs: number;
  /** Where the plan is said before any signal (stderr). */
  notice: (line: string) => void;
}

/** Refuse, or terminate and return what was left behind; undefined when everything can move. */
export async function settleUnmovable(pid: number, criuArgs: readonly string[], opts: UnmovableOptions): Promise<Manifest['leftBehind']> {
  const report = walkTree(pid, criuArgs);
  if (report.findings.length === 0) return undefined;
  if (!opts.terminate) throw new UnmovableError(report, opts.graceMs);
  const plan = planTermination(report, opts.graceMs);
  opts.notice(`${summary(report)}:`);
  for (const line of renderFindings(report)) opts.notice(`  ${line}`);
  opts.notice('--terminate-unmovable:');
  for (const line of plan.effects) opts.notice(`  ${line}`);
  const terminated = await terminate(plan, opts.graceMs, report.findings);
  const after = walkTree(pid, criuArgs);
  if (after.findings.length > 0) {
    throw new UnmovableError(after, opts.graceMs, `after terminating ${terminated.map((t) => t.pid).join(', ')}: `);
  }
  const still = new Set(after.tasks.map((t) => t.pid));
  return {
    terminated: terminated.map((t) => ({ pid: t.pid, comm: t.comm, signal: t.signal, findings: t.findings.map((f) => ({ kind: f.kind, what: f.what, why: f.why })) })),
    leftTree: plan.orphans.filter((o) => !still.has(o.pid)).map((o) => ({ pid: o.pid, comm: o.comm })),
  };
}
