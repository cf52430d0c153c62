/**
 * A process tree as /proc shows it: a root and its descendants, found through
 * /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN; each thread lists the
 * children it forked). And the way out when a tree may not run on unsupervised.
 */
import fs from 'node:fs';
import { sys } from '../native/libc.js';

const SIGKILL = 9;

/** Children of every thread of `pid`; empty when it is gone. */
export function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {
      // The thread exited meanwhile.
    }
  }
  return out;
}

/** `root` and all its descendants, parents before children. */
export function listTree(root: number): number[] {
  const seen = new Set<number>([root]);
  const order = [root];
  for (let i = 0; i < order.length; i++) {
    for (const c of childrenOf(order[i]!)) {
      if (!seen.has(c)) {
        seen.add(c);
        order.push(c);
      }
    }
  }
  return order;
}

/**
 * SIGKILL every process in `pids` and every descendant still found under them.
 * SIGKILL ends a task even in group-stop or a ptrace-stop, before it runs
 * another instruction.
 */
export function killTree(pids: readonly number[]): void {
  const all = new Set<number>();
  for (const p of pids) for (const q of listTree(p)) all.add(q);
  for (const p of all) sys.kill(p, SIGKILL);
}
