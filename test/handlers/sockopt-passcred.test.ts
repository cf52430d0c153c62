/**
 * The SO_PASSCRED / SO_PASSSEC row of the behaviour catalogue on the real kernel: natively,
 * a kernel from 6.16 on refuses both on internet sockets (EOPNOTSUPP); under a persona before
 * 6.16 they are accepted, stored and read back, and unix sockets keep the kernel's own answer.
 */
import os from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareReleases, mainlineOf } from '../../src/tables/release.js';
import { parseOutput, type ProgramOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

const hostRefuses = compareReleases(mainlineOf(os.release()), '6.16') >= 0;
const FIELDS = ['set1_errname', 'get1_errname', 'get1_val', 'get1_len', 'set0_errname', 'get0_val', 'short_errname'];
const pick = (o: ProgramOutput): Record<string, string> => Object.fromEntries(FIELDS.map((k) => [k, o.get(k)]));

/** What a kernel before 6.16 answered: set and read back, 4-byte int, optlen 2 refused. */
const OLD_ANSWER = { set1_errname: '', get1_errname: '', get1_val: '1', get1_len: '4', set0_errname: '', get0_val: '0', short_errname: 'EINVAL' };

async function native(...args: string[]): Promise<ProgramOutput> {
  const r = await runProcess(programPath('sockopt'), args);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}
async function shim(kernel: string, ...args: string[]): Promise<ProgramOutput> {
  const r = await runCli(['run', '--kernel', kernel, '--', programPath('sockopt'), ...args]);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}

describe('SO_PASSCRED and SO_PASSSEC on internet sockets (catalogue row so-passcred-inet)', () => {
  beforeAll(() => requireShimBuilt());

  it.each([['inet', 'passcred'], ['tcp', 'passsec'], ['inet6', 'passcred']])('natively, %s %s: EOPNOTSUPP from 6.16 on', async (family, opt) => {
    const out = await native(family, opt);
    if (hostRefuses) expect([out.get('set1_errname'), out.get('get1_errname')]).toEqual(['EOPNOTSUPP', 'EOPNOTSUPP']);
    else expect(pick(out)).toEqual(OLD_ANSWER);
  });

  it.each([['6.12', 'inet', 'passcred'], ['5.10', 'tcp', 'passsec'], ['4.19', 'inet6', 'passcred']])(
    'under %s, %s %s: accepted, stored and read back', async (kernel, family, opt) => {
      expect(pick(await shim(kernel, family, opt))).toEqual(OLD_ANSWER);
    });

  it('under 6.16 the host\'s answer stands; on a unix socket the kernel answers, as natively', async () => {
    expect(pick(await shim('6.16', 'inet', 'passcred'))).toEqual(pick(await native('inet', 'passcred')));
    expect(pick(await shim('6.12', 'unix', 'passcred'))).toEqual(pick(await native('unix', 'passcred')));
  });
});
