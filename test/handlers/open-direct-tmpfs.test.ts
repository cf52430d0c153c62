/**
 * The o-direct-tmpfs and openat2-fmode-nonotify rows of the behaviour catalogue on the real
 * kernel. Natively, a kernel from 6.6 on opens a memfd (shmem) with O_DIRECT, and a kernel that
 * dropped __FMODE_NONOTIFY from the open flags refuses bits 25 and 26 in openat2; under the
 * personas before, the supervisor's open as the task answers as they did.
 */
import os from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareReleases, mainlineOf } from '../../src/tables/release.js';
import { parseOutput, type ProgramOutput } from '../helpers/parse-output.js';
import { programPath, REPO_ROOT } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

const hostMainline = mainlineOf(os.release());
const hostTakesDirect = compareReleases(hostMainline, '6.6') >= 0;
const O_RDWR_DIRECT = '0x4002';
const BIT26 = '0x4000000';
const BIT25 = '0x2000000';
const WAYS = ['open_errname', 'openat_errname', 'openat2_errname'];
const pick = (o: ProgramOutput): string[] => WAYS.map((k) => o.get(k));

async function native(...args: string[]): Promise<ProgramOutput> {
  const r = await runProcess(programPath('open-direct'), args);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}
async function shim(opts: string[], ...args: string[]): Promise<ProgramOutput> {
  const r = await runCli(['run', ...opts, '--', programPath('open-direct'), ...args]);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}

describe('O_DIRECT on tmpfs and memfd (catalogue row o-direct-tmpfs)', () => {
  beforeAll(() => requireShimBuilt());

  it('natively, a memfd opens with O_DIRECT from 6.6 on', async () => {
    const out = await native('memfd', O_RDWR_DIRECT);
    expect(pick(out)).toEqual(hostTakesDirect ? ['', '', ''] : ['EINVAL', 'EINVAL', 'EINVAL']);
  });

  it.each([['6.1', []], ['5.10', []], ['6.1', ['--dumpable']]] as const)('under %s %j: EINVAL by open, openat and openat2', async (kernel, opts) => {
    expect(pick(await shim([...opts, '--kernel', kernel], 'memfd', O_RDWR_DIRECT))).toEqual(['EINVAL', 'EINVAL', 'EINVAL']);
  });

  it('under 6.1 a file elsewhere opens as natively, and an open without O_DIRECT is untouched', async () => {
    const file = `${REPO_ROOT}package.json`;
    expect(pick(await shim(['--kernel', '6.1'], file, '0x4000'))).toEqual(pick(await native(file, '0x4000')));
    expect(pick(await shim(['--kernel', '6.1'], 'memfd', '0x2'))).toEqual(['', '', '']);
  });

  it('a path the task cannot open gets the task\'s own error', async () => {
    expect(pick(await shim(['--kernel', '6.1'], '/nonexistent/x', O_RDWR_DIRECT))).toEqual(['ENOENT', 'ENOENT', 'ENOENT']);
  });

  it('under 6.6 the host\'s answer stands', async () => {
    expect(pick(await shim(['--kernel', '6.6'], 'memfd', O_RDWR_DIRECT))).toEqual(pick(await native('memfd', O_RDWR_DIRECT)));
  });
});

describe('openat2 with __FMODE_NONOTIFY (catalogue row openat2-fmode-nonotify)', () => {
  beforeAll(() => requireShimBuilt());

  it('natively, this host refuses bits 25 and 26 in openat2 (open and openat ignore them)', async () => {
    for (const bit of [BIT25, BIT26]) expect(pick(await native('memfd', bit))).toEqual(['', '', 'EINVAL']);
  });

  it.each([['5.10', BIT26], ['6.1', BIT26], ['6.12', BIT25]])('under %s openat2 accepts %s', async (kernel, bit) => {
    expect(pick(await shim(['--kernel', kernel], 'memfd', bit))).toEqual(['', '', '']);
  });

  it('under 6.12 bit 26 is refused, as there (its FMODE_NONOTIFY was bit 25)', async () => {
    expect(pick(await shim(['--kernel', '6.12'], 'memfd', BIT26))).toEqual(['', '', 'EINVAL']);
  });
});
