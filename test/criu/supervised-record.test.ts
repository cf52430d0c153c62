/**
 * The record `cr-shim run` keeps while it supervises a tree, and how `dump` finds it: by the
 * PID or an ancestor's, only while that PID's start time and the supervisor are as recorded.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterSha256, findSupervision, parentOf, recordSupervised, startTimeOf } from '../../src/criu/supervised-record.js';
import { tempDir } from './helpers/images.js';

const dir = tempDir('records');
const persona = { release: '4.19', mainline: '4.19' };
const filter = Buffer.from('0600000000000000', 'hex');
let saved: string | undefined;

beforeAll(() => {
  saved = process.env.CR_SHIM_RUN_DIR;
  process.env.CR_SHIM_RUN_DIR = dir;
});
afterAll(() => {
  if (saved === undefined) delete process.env.CR_SHIM_RUN_DIR;
  else process.env.CR_SHIM_RUN_DIR = saved;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('supervision records', () => {
  it('reads start time and parent from /proc/PID/stat', () => {
    expect(parentOf(process.pid)).toBe(process.ppid);
    expect(startTimeOf(process.pid)).toMatch(/^\d+$/);
    expect(startTimeOf(2 ** 22 + 1)).toBeUndefined();
  });

  it('is found for the supervised root and for its descendants, and gone once removed', async () => {
    const unrecord = recordSupervised(process.pid, persona, filter);
    const child = spawn('sleep', ['5'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    try {
      const own = findSupervision(process.pid);
      expect(own).toMatchObject({ pid: process.pid, supervisor: process.pid, persona, filterSha256: filterSha256(filter) });
      expect(findSupervision(child.pid!)?.pid).toBe(process.pid);
      unrecord();
      expect(fs.readdirSync(dir)).toEqual([]);
      expect(findSupervision(child.pid!)).toBeUndefined();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('ignores and removes a record left behind for a PID now used by another process, and a torn one', () => {
    const file = path.join(dir, `${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, startTime: '1', supervisor: process.pid, persona, filterSha256: filterSha256(filter) }));
    expect(findSupervision(process.pid)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
    fs.writeFileSync(file, '{ torn');
    expect(findSupervision(process.pid)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('a new record sweeps away those whose supervisor is gone', () => {
    const stale = path.join(dir, '999999.json');
    fs.writeFileSync(stale, JSON.stringify({ pid: 999999, startTime: '1', supervisor: 999998, persona, filterSha256: filterSha256(filter) }));
    const unrecord = recordSupervised(process.pid, persona, filter);
    expect(fs.readdirSync(dir)).toEqual([`${process.pid}.json`]);
    unrecord();
  });
});
