/**
 * A program started under `cr-shim run` and holding still: dump it by `pid` into `img`, wait for
 * the run to end (`runEnded`), restore it, then touch `go` so it goes on; resolves once the
 * restore has exited 0.
 */
import fs from 'node:fs';
import { expect } from 'vitest';
import { runCli, startCli } from './run-cli.js';
import { describeResult } from './run-process.js';

export async function dumpThenRestore(pid: string, img: string, go: string, runEnded: Promise<unknown>): Promise<void> {
  const dump = await runCli(['dump', pid, img], { timeoutMs: 60_000 });
  expect(dump.status, describeResult(dump)).toBe(0);
  await runEnded;
  const restore = startCli(['restore', img], { timeoutMs: 60_000 });
  fs.writeFileSync(go, '');
  const r = await restore.result;
  expect(r.status, describeResult(r)).toBe(0);
}
