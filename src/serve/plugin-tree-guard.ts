/**
 * The guard of a tree the CRIU plugin restored (tree-guard.ts: if the service dies, the tree
 * dies). A container's tree comes back in the container's own cgroup, which its engine made and
 * will remove, and which its limits and accounting hang on: that cgroup is guarded where it is,
 * nothing moved. A tree that shares its cgroup with anything else (plain criu restoring into the
 * cgroup of whoever dumped it) is moved into a guard cgroup of the service's own, as
 * `cr-shim restore`'s trees are.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cgroupOf, recordSupervised } from '../criu/supervised-record.js';
import { cgroup2Root, guardCgroupInPlace, guardSupervisedTree, type GuardedTree } from '../supervisor/tree-guard.js';

/** The pids cgroup.procs lists; undefined when unreadable. */
function membersOf(cgPath: string): number[] | undefined {
  try {
    return fs.readFileSync(path.join(cgroup2Root(), cgPath, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return undefined;
  }
}

/** Does the tree have `cgPath` to itself (but for `others`, e.g. the CRIU that is finishing)? */
function ownCgroup(cgPath: string | undefined, tree: ReadonlySet<number>, others: readonly number[]): cgPath is string {
  if (cgPath === undefined || cgPath === '/' || cgPath === cgroupOf(process.pid)) return false;
  const members = membersOf(cgPath);
  return members !== undefined && members.every((p) => tree.has(p) || others.includes(p));
}

/**
 * Guard the plugin-restored tree rooted at `root` and record it for later dumps. `others`: pids
 * that may share its cgroup for now and are not the tree's (CRIU itself). Throws ShimError from
 * the guard.
 */
export async function guardPluginTree(
  root: number,
  tree: () => number[],
  others: readonly number[],
  persona: { release: string; mainline: string },
  filter: Uint8Array,
  tag: string,
): Promise<GuardedTree> {
  const cg = cgroupOf(root);
  if (ownCgroup(cg, new Set(tree()), others)) {
    const guard = await guardCgroupInPlace(cg);
    const unrecord = recordSupervised(root, persona, filter, cg, tag);
    return {
      end: async (how = 'release') => {
        unrecord();
        await guard.release(how);
      },
    };
  }
  return guardSupervisedTree(root, tree, persona, filter, [], tag);
}
