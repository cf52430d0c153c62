/**
 * The statx-mask row of the behaviour catalogue on the real kernel: natively, this host reports
 * STATX_MNT_ID_UNIQUE (6.8) and a memfd's birth time (tmpfs, 5.18); under a persona that did not
 * know the bit, or whose tmpfs kept no birth time, statx of a descriptor does not report them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareReleases, mainlineOf } from '../../src/tables/release.js';
import { parseOutput, type ProgramOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

const host = mainlineOf(os.release());
const STATX_BTIME = 0x800;
const STATX_MNT_ID = 0x1000;
const STATX_MNT_ID_UNIQUE = 0x4000;
const ASK = `0x${(STATX_BTIME | STATX_MNT_ID_UNIQUE).toString(16)}`;
const reported = (o: ProgramOutput, bit: number): boolean => (parseInt(o.get('mask'), 16) & bit) !== 0;

async function native(...args: string[]): Promise<ProgramOutput> {
  const r = await runProcess(programPath('statx-mask'), args);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}
async function shim(opts: string[], ...args: string[]): Promise<ProgramOutput> {
  const r = await runCli(['run', ...opts, '--', programPath('statx-mask'), ...args]);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}

/** [persona, unique id reported, btime reported, STATX_MNT_ID reported] for a memfd asked BTIME|MNT_ID_UNIQUE. */
const ROWS: [string, boolean, boolean, boolean][] = [
  ['5.10', false, false, true],
  ['6.1', false, true, true],
  ['5.17', false, false, true],
  ['5.18', false, true, true],
];

describe('statx mask bits (catalogue row statx-mask)', () => {
  beforeAll(() => requireShimBuilt());

  it('natively, a memfd reports STATX_MNT_ID_UNIQUE (6.8) and its birth time (5.18)', async () => {
    const out = await native(ASK);
    expect(out.get('errname')).toBe('');
    expect(reported(out, STATX_MNT_ID_UNIQUE)).toBe(compareReleases(host, '6.8') >= 0);
    expect(reported(out, STATX_BTIME)).toBe(compareReleases(host, '5.18') >= 0);
  });

  it.each(ROWS)('under %s: unique id %s, btime %s, STATX_MNT_ID %s', async (kernel, unique, btime, mntId) => {
    const out = await shim(['--kernel', kernel], ASK);
    expect([out.get('errname'), reported(out, STATX_MNT_ID_UNIQUE), reported(out, STATX_BTIME), reported(out, STATX_MNT_ID)]).toEqual(['', unique, btime, mntId]);
    if (!btime) expect(out.get('btime_sec')).toBe('0');
  });

  it('under 6.12 the host\'s answer stands for bits it knew', async () => {
    const [s, n] = [await shim(['--kernel', '6.12'], ASK), await native(ASK)];
    expect(s.get('mask')).toBe(n.get('mask'));
  });

  it('a path-based call is made as the task: the persona\'s mask', async () => {
    const out = await shim(['--kernel', '5.10'], ASK, '/');
    expect([out.get('errname'), reported(out, STATX_MNT_ID_UNIQUE), reported(out, STATX_MNT_ID)]).toEqual(['', false, true]);
    const shm = await shim(['--kernel', '5.10'], ASK, '/dev/shm');
    expect([shm.get('errname'), reported(shm, STATX_BTIME)]).toEqual(['', false]);
  });

  it('with the task\'s credentials: a path it cannot search gets its own EACCES, as natively', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statx-mask-'));
    fs.chmodSync(dir, 0o755);
    const hidden = path.join(dir, 'hidden');
    fs.mkdirSync(hidden, { mode: 0o700 });
    fs.writeFileSync(path.join(hidden, 'f'), '');
    try {
      const n = await native(ASK, path.join(hidden, 'f'), 'nobody');
      const s = await shim(['--kernel', '5.10'], ASK, path.join(hidden, 'f'), 'nobody');
      expect([s.get('errname'), s.get('mask')]).toEqual([n.get('errname'), n.get('mask')]);
      expect(s.get('errname')).toBe('EACCES');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([['6.1', true], ['5.10', false]] as const)('under run --dumpable (the restore view), %s as under run (before 5.13 through the removed sysctl files\' stat handler)', async (kernel, btime) => {
    for (const args of [[ASK], [ASK, '/dev/shm']]) {
      const out = await shim(['--dumpable', '--kernel', kernel], ...args);
      expect([out.get('errname'), reported(out, STATX_MNT_ID_UNIQUE), reported(out, STATX_BTIME)]).toEqual(['', false, btime]);
    }
  });

  it('--mechanism ptrace answers statx of a descriptor the same way', async () => {
    const out = await shim(['--mechanism', 'ptrace', '--kernel', '5.10'], ASK);
    expect([reported(out, STATX_MNT_ID_UNIQUE), reported(out, STATX_BTIME)]).toEqual([false, false]);
  });
});
