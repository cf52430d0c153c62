/**
 * A task's namespaces from /proc/PID/ns/TYPE, links that read "TYPE:[INODE]": two tasks
 * share a namespace when the inodes match.
 */
import fs from 'node:fs';

export const NS_TYPES: readonly string[] = ['ipc', 'uts', 'net', 'mnt', 'pid', 'cgroup', 'time', 'user'];

/** ns type → inode, for the types this kernel has; empty when the task is gone. */
export function namespacesOf(pid: number | 'self'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const type of NS_TYPES) {
    try {
      const m = /\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/ns/${type}`));
      if (m?.[1] !== undefined) out[type] = m[1];
    } catch {
      // No such namespace type on this kernel, or the task is gone.
    }
  }
  return out;
}
