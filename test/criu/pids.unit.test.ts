/** Whether a dump's PIDs are free here: rows against a described /proc. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PstreeEntry } from '../../src/criu/image/pstree.js';
import { pidProblems } from '../../src/criu/pids.js';
import { tempDir } from '../helpers/temp-dir.js';

const proc = tempDir('proc');
fs.mkdirSync(path.join(proc, 'sys/kernel'), { recursive: true });
fs.writeFileSync(path.join(proc, 'sys/kernel/pid_max'), '32768\n');
for (const [pid, comm] of [[100, 'sshd'], [101, 'sshd']] as const) {
  fs.mkdirSync(path.join(proc, String(pid)));
  fs.writeFileSync(path.join(proc, String(pid), 'comm'), `${comm}\n`);
}
afterAll(() => fs.rmSync(proc, { recursive: true, force: true }));

const task = (pid: number, threads = [pid]): PstreeEntry => ({ pid, ppid: 0, pgid: pid, sid: pid, threads });

const ROWS: [string, PstreeEntry[], { pid: number; problem: RegExp }[]][] = [
  ['free PIDs', [task(200), task(201, [201, 202])], []],
  ['a PID taken by another process', [task(100)], [{ pid: 100, problem: /^PID 100 is in use here by sshd$/ }]],
  ['a thread id taken', [task(300, [300, 101])], [{ pid: 101, problem: /^thread id 101 \(of PID 300\) is in use here by sshd$/ }]],
  ['a PID at pid_max', [task(32768)], [{ pid: 32768, problem: /^PID 32768 is not below this host's pid_max 32768$/ }]],
  ['a PID from a host with a larger pid_max', [task(4000000)], [{ pid: 4000000, problem: /pid_max 32768/ }]],
];

describe('PID problems', () => {
  it.each(ROWS)('%s', (_why, tree, expected) => {
    const found = pidProblems(tree, proc);
    expect(found.map((p) => p.pid)).toEqual(expected.map((e) => e.pid));
    found.forEach((p, i) => {
      expect(p.problem).toMatch(expected[i]!.problem);
      expect(p.fix.length).toBeGreaterThan(0);
    });
  });

  it('the fix for pid_max names a value that fits', () => {
    expect(pidProblems([task(4000000)], proc)[0]!.fix).toBe('raise it: sysctl -w kernel.pid_max=4194304');
  });
});
