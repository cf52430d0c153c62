/**
 * The trees `cr-shim serve` supervises, and the one place they are killed: a
 * tree must not run on once its supervisor cannot answer for it (a failed
 * restore, a failed loop, the service stopping). A service killed outright
 * (SIGKILL) cannot run this: its listeners close with it, and every trapped
 * call of its trees then fails with ENOSYS, which is failing closed, not dying.
 */
import { killTree } from '../inject/tree.js';

interface Tree {
  /** Every process that handed a listener over; their descendants are found when killing. */
  pids: Set<number>;
  /** Stops the tree's notification loop (closing its listeners). */
  stop: () => Promise<void>;
}

export class ServedTrees {
  private readonly trees = new Map<string, Tree>();

  add(id: string, stop: () => Promise<void>): void {
    this.trees.set(id, { pids: new Set(), stop });
  }

  addProcess(id: string, pid: number): void {
    this.trees.get(id)?.pids.add(pid);
  }

  processes(id: string): number[] {
    return [...(this.trees.get(id)?.pids ?? [])];
  }

  has(id: string): boolean {
    return this.trees.has(id);
  }

  /** Forget a tree whose processes are all gone. */
  remove(id: string): void {
    this.trees.delete(id);
  }

  /** SIGKILL tree `id` and its descendants, then stop its loop. */
  async kill(id: string): Promise<void> {
    const t = this.trees.get(id);
    if (t === undefined) return;
    this.trees.delete(id);
    killTree([...t.pids]);
    await t.stop();
  }

  /** Kill every tree: the service is going away. */
  async killAll(): Promise<void> {
    await Promise.all([...this.trees.keys()].map((id) => this.kill(id)));
  }

  get size(): number {
    return this.trees.size;
  }
}
