/**
 * `--terminate-unmovable`: end the tasks that hold what cannot move, so the rest of the tree
 * can be dumped. SIGTERM first, SIGKILL after a grace period. Before any signal the plan says
 * what it does to the tasks' parents and children:
 *   - a parent gets SIGCHLD; until it reaps the child, the child is a zombie, and CRIU dumps
 *     and restores zombies as they are;
 *   - children of a terminated task are reparented (to the nearest child subreaper, else PID 1
 *     of their PID namespace): unless that subreaper is inside the tree they leave it, are not
 *     dumped, and keep running.
 */
import fs from 'node:fs';
import os from 'node:os';
import { ShimError } from '../../errors.js';
import { startTimeOf } from '../supervised-record.js';
import type { Finding } from './classify.js';
import type { LiveReport, LiveTask } from './walk.js';

export interface TerminationPlan {
  targets: { pid: number; comm: string; startTime: string | undefined }[];
  /** What it does to parents and children, one sentence per line, said before any signal. */
  effects: string[];
  /** Children of targets that are not targets themselves: they leave the tree when reparented outside it. */
  orphans: LiveTask[];
}

export interface Terminated {
  pid: number;
  comm: string;
  /** The signal that ended it. */
  signal: 'SIGTERM' | 'SIGKILL';
  findings: Finding[];
}

const label = (t: { pid: number; comm: string }) => `${t.pid} (${t.comm})`;

/** The tasks to end and what that does. Throws ShimError when the root itself holds unmovable state: nothing would be left to dump. */
export function planTermination(report: LiveReport, graceMs: number): TerminationPlan {
  const holders = new Set(report.findings.map((f) => f.pid));
  const byPid = new Map(report.tasks.map((t) => [t.pid, t]));
  if (holders.has(report.root)) {
    throw new ShimError('dump --terminate-unmovable', `the tree's root ${label(byPid.get(report.root) ?? { pid: report.root, comm: '?' })} itself holds state that cannot move: terminating it leaves nothing to dump`, {
      code: 'EUNMOVABLE',
      exitStatus: 1,
      hint: 'have the program release it (close the fd, unmap the device) and dump again, or dump a subtree with cr-shim dump CHILD-PID',
    });
  }
  const targets = report.tasks.filter((t) => holders.has(t.pid));
  const orphans = report.tasks.filter((t) => holders.has(t.ppid) && !holders.has(t.pid));
  const seconds = `${(graceMs / 1000).toString()} s`;
  const effects = [`SIGTERM to ${targets.map(label).join(', ')}; SIGKILL to whichever is still there after ${seconds}.`];
  const byParent = new Map<number, number[]>();
  for (const t of targets) if (byPid.has(t.ppid) && !holders.has(t.ppid)) byParent.set(t.ppid, [...(byParent.get(t.ppid) ?? []), t.pid]);
  for (const [ppid, kids] of byParent) {
    const one = kids.length === 1;
    effects.push(
      `${label(byPid.get(ppid)!)}, parent of ${kids.join(', ')}, gets SIGCHLD; ${one ? 'the child stays a zombie' : 'each child stays a zombie'} until it is reaped, and is dumped as one.`,
    );
  }
  if (orphans.length > 0) {
    effects.push(
      `${orphans.map(label).join(', ')}, children of terminated tasks, are reparented to the nearest child subreaper or PID 1: unless that is inside the tree they leave it, are not dumped, and keep running.`,
    );
  }
  return { targets: targets.map((t) => ({ pid: t.pid, comm: t.comm, startTime: startTimeOf(t.pid) })), effects, orphans };
}

function gone(pid: number): boolean {
  try {
    return /^State:\s+[ZX]/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitGone(pids: readonly number[], deadline: number): Promise<number[]> {
  let left = pids.filter((p) => !gone(p));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    left = left.filter((p) => !gone(p));
  }
  return left;
}

/** Signal `pid` only if it is still the process the plan saw (same start time): a PID may be reused. */
function signal(t: TerminationPlan['targets'][number], sig: 'SIGTERM' | 'SIGKILL'): void {
  if (t.startTime === undefined || startTimeOf(t.pid) !== t.startTime) return;
  try {
    process.kill(t.pid, os.constants.signals[sig]);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw new ShimError('dump --terminate-unmovable', `cannot signal ${t.pid}: ${(cause as Error).message}`, { cause, code: (cause as NodeJS.ErrnoException).code });
    }
  }
}

/** How long SIGKILL may take to end a task (one in uninterruptible sleep ends when its I/O does). */
const KILL_WAIT_MS = 10_000;

/** Carry out the plan. Returns the signal that ended each target; throws ShimError if a task survives SIGKILL. */
export async function terminate(plan: TerminationPlan, graceMs: number, findings: readonly Finding[]): Promise<Terminated[]> {
  for (const t of plan.targets) signal(t, 'SIGTERM');
  const stubborn = new Set(await waitGone(plan.targets.map((t) => t.pid), Date.now() + graceMs));
  for (const t of plan.targets) if (stubborn.has(t.pid)) signal(t, 'SIGKILL');
  const alive = await waitGone([...stubborn], Date.now() + KILL_WAIT_MS);
  if (alive.length > 0) {
    throw new ShimError('dump --terminate-unmovable', `${alive.join(', ')} still there ${KILL_WAIT_MS / 1000} s after SIGKILL (uninterruptible sleep?); nothing was dumped`, {
      code: 'EBUSY',
      hint: 'see /proc/PID/stack and try again',
    });
  }
  return plan.targets.map((t) => ({
    pid: t.pid,
    comm: t.comm,
    signal: stubborn.has(t.pid) ? ('SIGKILL' as const) : ('SIGTERM' as const),
    findings: findings.filter((f) => f.pid === t.pid),
  }));
}
