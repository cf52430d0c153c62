/**
 * The sendfile-no-splice row of the behaviour catalogue on the real kernel: natively, from 5.10
 * on, sendfile and splice from /proc/self/status (a seq file without splice_read) fail with
 * EINVAL; under a persona before 5.10 the supervisor copies with sendfile's offset semantics;
 * a file with splice_read is left to the kernel and reads the same natively and under the shim.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOutput, type ProgramOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const PROGRAM = 'sendfile-proc';

async function native(file: string): Promise<ProgramOutput> {
  const r = await runProcess(programPath(PROGRAM), [file]);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}
async function shim(kernel: string, file: string): Promise<ProgramOutput> {
  const r = await runCli(['run', '--quiet', '--kernel', kernel, '--', programPath(PROGRAM), file]);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}

/** What a kernel before 5.10 answered for /proc/self/status (its first line is "Name:\tsendfile-proc"). */
const OLD_STATUS: Record<string, string> = {
  'pos.errname': '', 'pos.ret': '8', 'pos.data': 'Name:\tse', 'pos.after': '8',
  'off.errname': '', 'off.ret': '6', 'off.data': ':\tsend', 'off.off': '10', 'off.pos': '8',
  'splice.errname': '', 'splice.ret': '5', 'splice.data': 'ndfil',
  'zero.ret': '0',
};
const pick = (o: ProgramOutput, keys: readonly string[]): Record<string, string> => Object.fromEntries(keys.map((k) => [k, o.get(k)]));

describe('sendfile and splice from files without splice support (catalogue row sendfile-no-splice)', () => {
  let dir: string;
  beforeAll(() => {
    requireShimBuilt();
    dir = tempDir('sendfile');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('natively (5.10 and later): EINVAL for sendfile and splice, 0 for a zero count', async () => {
    const out = await native('/proc/self/status');
    // Probe the host rather than its version: a kernel before 5.10 copies, as the shim does.
    if (out.get('pos.errname') === '') return expect(pick(out, Object.keys(OLD_STATUS))).toEqual(OLD_STATUS);
    expect(pick(out, ['pos.errname', 'off.errname', 'sock.errname', 'splice.errname', 'zero.ret'])).toEqual({
      'pos.errname': 'EINVAL', 'off.errname': 'EINVAL', 'sock.errname': 'EINVAL', 'splice.errname': 'EINVAL', 'zero.ret': '0',
    });
  });

  it.each(['5.4', '4.19', '3.10'])('under %s: copied from the file position or the offset, as the old kernel did', async (kernel) => {
    expect(pick(await shim(kernel, '/proc/self/status'), Object.keys(OLD_STATUS))).toEqual(OLD_STATUS);
  });

  it('under 5.4: the bytes sent to a socket are the file\'s', async () => {
    expect(pick(await shim('5.4', '/proc/self/cmdline'), ['sock.errname', 'sock.same'])).toEqual({ 'sock.errname': '', 'sock.same': '1' });
  });

  it('under 5.10 the host\'s answer stands; a regular file is left to the kernel and reads as natively', async () => {
    const nat = await native('/proc/self/cmdline');
    const at510 = await shim('5.10', '/proc/self/cmdline');
    expect(pick(at510, ['pos.errname', 'sock.errname', 'splice.errname'])).toEqual(pick(nat, ['pos.errname', 'sock.errname', 'splice.errname']));
    const file = path.join(dir, 'regular');
    fs.writeFileSync(file, 'a regular file has splice_read\n');
    expect((await shim('5.4', file)).fields).toEqual((await native(file)).fields);
  });
});
