/**
 * `cr-shim dump --dry-run PID`: the walk a dump runs before freezing, printed, with nothing
 * frozen, signalled or written.
 */
import { ShimError } from '../../errors.js';
import fs from 'node:fs';
import { renderChoices, renderFindings, summary } from './report.js';
import { walkTree, type LiveReport } from './walk.js';

/** Walk the tree of `pid` as a dump with `criuArgs` would. Throws ShimError when there is no such process. */
export function dryRun(pid: number, criuArgs: readonly string[], graceMs: number): { report: LiveReport; text: string } {
  if (!fs.existsSync(`/proc/${pid}`)) throw new ShimError('dump --dry-run', `no process ${pid}`, { code: 'ESRCH', hint: 'check the PID (ps -p PID)' });
  const report = walkTree(pid, criuArgs);
  const threads = report.tasks.reduce((n, t) => n + t.threads, 0);
  let text = `PID ${pid}: ${report.tasks.length} ${report.tasks.length === 1 ? 'process' : 'processes'}, ${threads} ${threads === 1 ? 'thread' : 'threads'}${criuArgs.length > 0 ? ` (criu ${criuArgs.join(' ')})` : ''}\n`;
  if (report.findings.length === 0) {
    text += 'nothing found that cannot move: devices, anonymous inodes, sockets, mappings and namespaces were checked\n';
  } else {
    text += `${summary(report)}:\n`;
    for (const line of [...renderFindings(report), ...renderChoices(report, graceMs)]) text += `${line}\n`;
  }
  return { report, text };
}
