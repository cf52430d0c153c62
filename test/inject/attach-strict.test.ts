/**
 * `cr-shim attach` to a tree with a thread already in SECCOMP_MODE_STRICT (src/inject/strict-tasks.ts):
 * refused with one line naming the task and why, nothing seized or injected. The program is
 * then still in strict mode: one byte on its stdin, and its next forbidden call kills it (or, in
 * the threaded variant, only that thread).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import { waitFor } from '../helpers/wait-for.js';

beforeAll(() => requireShimBuilt());

const rows = [
  { args: ['prctl', '--wait'], names: (pid: number, _tid: number) => `process ${pid}`, ends: { code: null, signal: 'SIGKILL' } },
  { args: ['seccomp', '--wait', '--thread'], names: (pid: number, tid: number) => `thread ${tid} of process ${pid}`, ends: { code: 0, signal: null } },
];

describe('attach to a task in strict mode', () => {
  it.each(rows)('strict-mode $args is refused and left as it was', async (row) => {
    const child = spawn(programPath('strict-mode'), row.args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      await waitFor('strict-mode waiting=1', () => (/^waiting=1$/m.test(out) ? true : undefined), 10_000);
      const pid = Number(parseOutput(out, { partial: true }).get('pid'));
      // The thread that entered strict mode: the one that is not the (joining) main thread.
      const tid = row.args.includes('--thread') ? fs.readdirSync(`/proc/${pid}/task`).map(Number).find((t) => t !== pid)! : pid;
      const r = await runCli(['attach', '--kernel', '4.19', '--no-serve', String(pid)], { timeoutMs: 30_000 });
      expect(r.status, describeResult(r)).toBe(125);
      const lines = r.stderr.trim().split('\n');
      expect(lines, describeResult(r)).toHaveLength(1);
      expect(lines[0]).toContain(`${row.names(pid, tid)} is in SECCOMP_MODE_STRICT`);
      expect(lines[0]).toContain('the tree was left as it was');
      child.stdin.end('x');
      expect(await ended).toEqual(row.ends);
      expect(out).not.toMatch(/^survived=/m);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
