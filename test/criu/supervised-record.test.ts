/**
 * The record cr-shim keeps while it supervises a tree, and how `dump` finds it: by the root's
 * PID (and start time) or an ancestor's, by the supervisor as an ancestor (a re-parented
 * daemon), or by the tree's cgroup; only while the supervisor is the one recorded.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupOf, filterSha256, findSupervision, parentOf, recordSupervised, startTimeOf } from '../../src/criu/supervised-record.js';
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

  it('a record for a PID now used by another process does not match it', () => {
    const file = path.join(dir, `tree-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, startTime: '1', supervisor: process.pid, persona, filterSha256: filterSha256(filter) }));
    expect(findSupervision(process.pid)).toBeUndefined();
    fs.rmSync(file);
  });

  it('ignores and removes a record whose supervisor is gone (its pid reused), and a torn one', () => {
    const file = path.join(dir, `tree-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, startTime: startTimeOf(process.pid), supervisor: process.pid, supervisorStartTime: '1', persona, filterSha256: filterSha256(filter) }));
    expect(findSupervision(process.pid)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
    fs.writeFileSync(file, '{ torn');
    expect(findSupervision(process.pid)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('a task in the recorded cgroup belongs to the tree, wherever its parent is; the supervisor\'s orphans too', async () => {
    const own = cgroupOf(process.pid)!;
    const file = path.join(dir, 'tree-999996.json');
    fs.writeFileSync(file, JSON.stringify({ pid: 999997, startTime: '1', supervisor: process.pid, supervisorStartTime: startTimeOf(process.pid), persona, filterSha256: filterSha256(filter), cgroup: own }));
    const child = spawn('sleep', ['5'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    try {
      // By cgroup: this process too (it is in the recorded cgroup).
      expect(findSupervision(process.pid)?.pid).toBe(999997);
      fs.writeFileSync(file, JSON.stringify({ pid: 999997, startTime: '1', supervisor: process.pid, persona, filterSha256: filterSha256(filter), cgroup: '/elsewhere' }));
      // Not by cgroup now: the child is found through its parent, the supervisor; the supervisor itself is not in its tree.
      expect(findSupervision(child.pid!)?.pid).toBe(999997);
      expect(findSupervision(process.pid)).toBeUndefined();
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(file, { force: true });
    }
  });

  it('a new record sweeps away those whose supervisor is gone', () => {
    const stale = path.join(dir, 'tree-999998.json');
    fs.writeFileSync(stale, JSON.stringify({ pid: 999999, startTime: '1', supervisor: 999998, persona, filterSha256: filterSha256(filter) }));
    const unrecord = recordSupervised(process.pid, persona, filter);
    expect(fs.readdirSync(dir)).toEqual([`tree-${process.pid}.json`]);
    unrecord();
  });
});
