/**
 * The sockopt-restricted row of the behaviour catalogue on the real kernel: natively, a kernel
 * from 6.16 on refuses SO_PASSCRED, SO_PASSSEC and SO_PASSPIDFD on internet sockets and
 * SO_TXREHASH on sockets other than TCP (EOPNOTSUPP); under a persona before 6.16 they are
 * accepted, checked, stored and read back, and the sockets that keep them get the kernel's answer.
 */
import fs from 'node:fs';
import os from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareReleases, mainlineOf } from '../../src/tables/release.js';
import { parseOutput, type ProgramOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

const hostRefuses = compareReleases(mainlineOf(os.release()), '6.16') >= 0;
const FIELDS = ['fresh_errname', 'fresh_val', 'set1_errname', 'get1_errname', 'get1_val', 'get1_len', 'set0_errname', 'get0_val', 'short_errname', 'two_errname'];
const pick = (o: ProgramOutput): Record<string, string> => Object.fromEntries(FIELDS.map((k) => [k, o.get(k)]));
/** net.core.txrehash: what inet_create() copied into a new socket's sk_txrehash. */
const txrehashDefault = fs.readFileSync('/proc/sys/net/core/txrehash', 'utf8').trim();

/** What a kernel before 6.16 answered on any socket: read, set and read back, 4-byte int, optlen 2 refused. */
function oldAnswer(family: string, option: string): Record<string, string> {
  const flag = { fresh_errname: '', fresh_val: '0', set1_errname: '', get1_errname: '', get1_val: '1', get1_len: '4', set0_errname: '', get0_val: '0', short_errname: 'EINVAL', two_errname: '' };
  if (option !== 'txrehash') return flag;
  return { ...flag, fresh_val: family === 'unix' ? '0' : txrehashDefault, two_errname: 'EINVAL' };
}

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

/** [persona, family, option]: a socket the option is restricted from on 6.16+, under a persona that knew the option. */
const RESTRICTED: [string, string, string][] = [
  ['6.12', 'inet', 'passcred'], ['5.10', 'tcp', 'passsec'], ['4.19', 'inet6', 'passcred'],
  ['6.12', 'inet', 'passpidfd'], ['6.12', 'tcp', 'passpidfd'],
  ['6.1', 'inet', 'txrehash'], ['6.12', 'inet6', 'txrehash'], ['6.12', 'unix', 'txrehash'],
];

describe('restricted SOL_SOCKET options (catalogue row sockopt-restricted)', () => {
  beforeAll(() => requireShimBuilt());

  it.each(RESTRICTED)('natively, under %s\'s case %s %s: EOPNOTSUPP from 6.16 on', async (_kernel, family, opt) => {
    const out = await native(family, opt);
    if (hostRefuses) expect([out.get('set1_errname'), out.get('get1_errname')]).toEqual(['EOPNOTSUPP', 'EOPNOTSUPP']);
    else expect(pick(out)).toEqual(oldAnswer(family, opt));
  });

  it.each(RESTRICTED)('under %s, %s %s: accepted, checked, stored and read back', async (kernel, family, opt) => {
    expect(pick(await shim(kernel, family, opt))).toEqual(oldAnswer(family, opt));
  });

  it('under 6.16 the host\'s answer stands; on a socket that keeps the option the kernel answers, as natively', async () => {
    expect(pick(await shim('6.16', 'inet', 'passcred'))).toEqual(pick(await native('inet', 'passcred')));
    expect(pick(await shim('6.12', 'unix', 'passcred'))).toEqual(pick(await native('unix', 'passcred')));
    expect(pick(await shim('6.12', 'unix', 'passpidfd'))).toEqual(pick(await native('unix', 'passpidfd')));
    expect(pick(await shim('6.12', 'tcp', 'txrehash'))).toEqual(pick(await native('tcp', 'txrehash')));
  });

  it('a persona that did not know the option refuses it in BPF before any trap (ENOPROTOOPT)', async () => {
    const out = await shim('6.1', 'inet', 'passpidfd');
    expect([out.get('set1_errname'), out.get('get1_errname')]).toEqual(['ENOPROTOOPT', 'ENOPROTOOPT']);
    const old = await shim('5.10', 'inet', 'txrehash');
    expect([old.get('set1_errname'), old.get('get1_errname')]).toEqual(['ENOPROTOOPT', 'ENOPROTOOPT']);
  });
});
