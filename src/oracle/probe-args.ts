/**
 * What the oracle probe is told to do, derived from the tables so the probe itself knows no
 * syscall names: the highest x86_64 number to call and the numbers never to call.
 */
import type { TableRegistry } from '../tables/registry.js';

/** Calls the probe never makes with all-zero arguments, and why. */
export const UNSAFE: readonly { name: string; why: string }[] = [
  { name: 'rt_sigreturn', why: 'restores a garbage signal frame from the stack' },
  { name: 'clone', why: 'clone(0, ...) forks: a second copy of the child would carry on' },
  { name: 'fork', why: 'creates a process' },
  { name: 'vfork', why: 'creates a process that shares the child\'s memory' },
  { name: 'exit', why: 'ends the child before it answers' },
  { name: 'exit_group', why: 'ends the child before it answers' },
  { name: 'kill', why: 'kill(0, 0) signals a whole process group' },
  { name: 'reboot', why: 'reboots or halts the machine given the right magic' },
];

export interface ProbeArgs {
  maxNr: number;
  skip: number[];
  argv: string[];
}

/** Probe arguments from the newest x86_64 table: every number up to its highest, the unsafe ones skipped. */
export function probeArgs(registry: TableRegistry): ProbeArgs {
  const releases = registry.releases('x86_64');
  const newest = registry.indexed('x86_64', releases[releases.length - 1]!);
  const maxNr = Math.max(...newest.byNumber.keys());
  const skip = UNSAFE.map((u) => newest.byName.get(u.name)?.nr).filter((n): n is number => n !== undefined).sort((a, b) => a - b);
  return { maxNr, skip, argv: ['--max', String(maxNr), '--skip', skip.join(',')] };
}
