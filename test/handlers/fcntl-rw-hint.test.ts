/**
 * The fcntl-file-rw-hint row of the behaviour catalogue on the real kernel: natively, a kernel
 * from 5.18 on answers F_GET_FILE_RW_HINT and F_SET_FILE_RW_HINT with EINVAL; under a persona
 * before 5.18 they are checked as 5.10 did, kept per open file description and read back.
 */
import os from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareReleases, mainlineOf } from '../../src/tables/release.js';
import { parseOutput, type ProgramOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

const hostRemoved = compareReleases(mainlineOf(os.release()), '5.18') >= 0;
const FIELDS = ['null_get_errname', 'null_set_errname', 'bad_set_errname', 'set_errname', 'get_val', 'dup_val', 'reopen_val', 'back_val'];
const pick = (o: ProgramOutput): Record<string, string> => Object.fromEntries(FIELDS.map((k) => [k, o.get(k)]));

/** 5.10's answers: EFAULT for NULL, EINVAL for hint 6, MEDIUM (3) read back through the same description, NOT_SET (0) through another; NONE (1) set through the dup seen through the first. */
const OLD_ANSWER = { null_get_errname: 'EFAULT', null_set_errname: 'EFAULT', bad_set_errname: 'EINVAL', set_errname: '', get_val: '3', dup_val: '3', reopen_val: '0', back_val: '1' };
const REMOVED = { null_get_errname: 'EINVAL', null_set_errname: 'EINVAL', bad_set_errname: 'EINVAL', set_errname: 'EINVAL', get_val: '-1', dup_val: '-1', reopen_val: '-1', back_val: '-1' };

async function native(): Promise<ProgramOutput> {
  const r = await runProcess(programPath('rw-hint'), []);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}
async function shim(...args: string[]): Promise<ProgramOutput> {
  const r = await runCli(['run', ...args, '--', programPath('rw-hint')]);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}

describe('per open file write hints (catalogue row fcntl-file-rw-hint)', () => {
  beforeAll(() => requireShimBuilt());

  it('natively: EINVAL for both commands from 5.18 on', async () => {
    expect(pick(await native())).toEqual(hostRemoved ? REMOVED : OLD_ANSWER);
  });

  it.each([['5.10'], ['5.17'], ['4.19']])('under %s: checked, stored per open file and read back', async (kernel) => {
    expect(pick(await shim('--kernel', kernel))).toEqual(OLD_ANSWER);
  });

  it('under run --dumpable (the restore view) as under run', async () => {
    expect(pick(await shim('--dumpable', '--kernel', '5.10'))).toEqual(OLD_ANSWER);
  });

  it('under 5.18 the host\'s answer stands', async () => {
    expect(pick(await shim('--kernel', '5.18'))).toEqual(pick(await native()));
  });
});
