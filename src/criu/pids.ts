/**
 * Whether the PIDs of a dump are free here. CRIU restores every task with the PID it had
 * (outside a new pid namespace), so a PID in use, or above this host's pid_max, stops a restore.
 *
 *   /proc/sys/kernel/pid_max ::= DECIMAL "\n"
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PstreeEntry } from './image/pstree.js';

export interface PidProblem {
  pid: number;
  problem: string;
  fix: string;
}

/** /proc/sys/kernel/pid_max, or undefined when unreadable. */
export function pidMax(procDir = '/proc'): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(procDir, 'sys/kernel/pid_max'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

function commOf(pid: number, procDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(procDir, String(pid), 'comm'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Every process and thread id of the dump that is taken here or beyond pid_max. */
export function pidProblems(pstree: readonly PstreeEntry[], procDir = '/proc'): PidProblem[] {
  const out: PidProblem[] = [];
  const max = pidMax(procDir);
  for (const task of pstree) {
    for (const id of new Set([task.pid, ...task.threads])) {
      const what = id === task.pid ? `PID ${id}` : `thread id ${id} (of PID ${task.pid})`;
      if (max !== undefined && id >= max) {
        out.push({ pid: id, problem: `${what} is not below this host's pid_max ${max}`, fix: `raise it: sysctl -w kernel.pid_max=${Math.max(id + 1, 4194304)}` });
        continue;
      }
      // /proc/ID names thread ids too, hidden from readdir but reachable by name.
      if (fs.existsSync(path.join(procDir, String(id)))) {
        const comm = commOf(id, procDir);
        out.push({
          pid: id,
          problem: `${what} is in use here${comm ? ` by ${comm}` : ''}`,
          fix: 'CRIU restores each task with its own PID: stop that process (or the dumped one, if it was left running), then restore',
        });
      }
    }
  }
  return out;
}
