/**
 * The way out when a tree may not run on unsupervised. The tree itself is read from /proc by
 * src/host/proc-tree.ts (re-exported here for the injector's callers).
 */
import { listTree } from '../host/proc-tree.js';
import { sys } from '../native/libc.js';

export { childrenOf, listTree } from '../host/proc-tree.js';

const SIGKILL = 9;

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
