/**
 * The words for what cannot move: the per-task list, the choices a refusal offers, and the
 * record of what a dump left behind (printed again at restore). Task names and paths come from
 * the tasks (a process sets its own comm) or from a manifest: every line is escaped here.
 */
import { escapeControl } from '../../printable.js';
import type { Manifest } from '../manifest.js';
import type { LiveReport } from './walk.js';

const plural = (n: number, w: string, ws = `${w}s`) => `${n} ${n === 1 ? w : ws}`;

/** Per task holding something: a heading line, then one indented line per finding. */
export function renderFindings(report: LiveReport): string[] {
  const byPid = new Map(report.tasks.map((t) => [t.pid, t]));
  const out: string[] = [];
  let last: number | undefined;
  for (const f of report.findings) {
    if (f.pid !== last) {
      const t = byPid.get(f.pid);
      const parent = t ? byPid.get(t.ppid) : undefined;
      const role = f.pid === report.root ? 'the root' : parent ? `child of ${parent.pid} (${parent.comm})` : `in the tree`;
      out.push(`PID ${f.pid} (${t?.comm ?? '?'}), ${role}:`);
      last = f.pid;
    }
    out.push(`  ${f.what}: ${f.why}${f.hardware ? ' [hardware]' : ''}`);
  }
  return out.map(escapeControl);
}

/** The one-line summary: how much of the tree holds what. */
export function summary(report: LiveReport): string {
  const holders = new Set(report.findings.map((f) => f.pid));
  return `${plural(holders.size, 'process', 'processes')} of the ${plural(report.tasks.length, 'process', 'processes')} under PID ${report.root} ${holders.size === 1 ? 'holds' : 'hold'} state that cannot move (${plural(report.findings.length, 'item')})`;
}

/** What the user can do, as option lines. */
export function renderChoices(report: LiveReport, graceMs: number): string[] {
  const holders = [...new Set(report.findings.map((f) => f.pid))];
  const out = ['choices:'];
  if (!holders.includes(report.root)) {
    out.push(
      `  --terminate-unmovable   end ${holders.join(', ')} (SIGTERM, then SIGKILL after ${graceMs / 1000} s; --grace SECONDS) and dump the rest, which is killed by the dump or kept running with --leave-running; what it does to their parents and children is printed before any signal`,
    );
  } else {
    out.push(`  (--terminate-unmovable cannot help: the root ${report.root} holds some of it, and ending it leaves nothing to dump)`);
  }
  const flags = new Map<string, Set<number>>();
  for (const f of report.findings) for (const flag of f.flags ?? []) flags.set(flag, (flags.get(flag) ?? new Set()).add(f.pid));
  for (const [flag, pids] of flags) out.push(`  ${flag.padEnd(22)}  let CRIU take it along (held by ${[...pids].join(', ')})`);
  out.push('  or have the program release it (close the fd, unmap the device, leave the namespace) and dump again; cr-shim dump --dry-run PID lists it without dumping');
  return out;
}

type LeftBehind = NonNullable<Manifest['leftBehind']>;

/** The manifest's record of a dump that terminated tasks, as lines for `restore` and `check`. */
export function renderLeftBehind(lb: LeftBehind): string[] {
  const out: string[] = [];
  for (const t of lb.terminated) {
    out.push(`left behind at dump (--terminate-unmovable): PID ${t.pid} (${t.comm}), ended by ${t.signal}, held ${t.findings.map((f) => f.what).join('; ')}`);
  }
  if (lb.leftTree.length > 0) out.push(`left the tree at dump when their parent was terminated, not in the image: ${lb.leftTree.map((t) => `${t.pid} (${t.comm})`).join(', ')}`);
  return out.map(escapeControl);
}
