/**
 * A process tree as /proc shows it: a root and its descendants, found through
 * /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN; each thread lists the
 * children it forked). Read only; src/inject/tree.ts adds the way out (killTree).
 */
import fs from 'node:fs';

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
