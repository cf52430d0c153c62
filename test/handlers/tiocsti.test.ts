/**
 * The tiocsti row of the behaviour catalogue on the real kernel. With dev.tty.legacy_tiocsti=0
 * (6.2+), TIOCSTI from an unprivileged process fails with EIO, natively and under a persona
 * before 6.2 unless `run --allow-tiocsti` is given; with it, the old answers: the byte is pushed
 * into the controlling terminal, EPERM for another terminal, EFAULT for a bad pointer.
 *
 * The sysctl is global: this file sets it to 0 for its own tests and puts the machine's value
 * back afterwards (nothing else in the suite uses TIOCSTI).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOutput, type ProgramOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

const LEGACY = '/proc/sys/dev/tty/legacy_tiocsti';
const KEYS = ['ctty.errname', 'ctty.read', 'master.errname', 'fault.errname', 'file.errname'];

/** What a kernel before 6.2 answered to an unprivileged caller. */
const OLD_ANSWER = { 'ctty.errname': '', 'ctty.read': 'x', 'master.errname': 'EPERM', 'fault.errname': 'EFAULT', 'file.errname': 'ENOTTY' };
const REFUSED = { 'ctty.errname': 'EIO', 'ctty.read': '', 'master.errname': 'EIO', 'fault.errname': 'EIO', 'file.errname': 'ENOTTY' };

const pick = (o: ProgramOutput): Record<string, string> => Object.fromEntries(KEYS.map((k) => [k, o.get(k)]));

async function native(): Promise<Record<string, string>> {
  const r = await runProcess(programPath('tiocsti'), []);
  expect(r.status, describeResult(r)).toBe(0);
  return pick(parseOutput(r.stdout));
}
async function shim(...args: string[]): Promise<Record<string, string>> {
  const r = await runCli(['run', '--quiet', ...args, '--', programPath('tiocsti')]);
  expect(r.status, describeResult(r)).toBe(0);
  return pick(parseOutput(r.stdout));
}

describe('TIOCSTI for unprivileged callers (catalogue row tiocsti, a known hole behind --allow-tiocsti)', () => {
  // legacy_tiocsti appeared in 6.2; on an older host every answer below is the old one.
  const hasSysctl = fs.existsSync(LEGACY);
  let saved: string | undefined;
  beforeAll(() => {
    requireShimBuilt();
    if (!hasSysctl) return;
    saved = fs.readFileSync(LEGACY, 'utf8');
    fs.writeFileSync(LEGACY, '0');
  });
  afterAll(() => {
    if (saved !== undefined) fs.writeFileSync(LEGACY, saved);
  });

  it('natively with legacy_tiocsti=0: EIO', async () => {
    expect(await native()).toEqual(hasSysctl ? REFUSED : OLD_ANSWER);
  });

  it('under 5.10 without --allow-tiocsti: the host\'s EIO stands', async () => {
    expect(await shim('--kernel', '5.10')).toEqual(hasSysctl ? REFUSED : OLD_ANSWER);
  });

  it.each(['5.10', '4.19'])('under %s with --allow-tiocsti: the old answers, the byte reaches the terminal', async (kernel) => {
    expect(await shim('--kernel', kernel, '--allow-tiocsti')).toEqual(OLD_ANSWER);
  });

  it('under 6.2 with --allow-tiocsti: the host\'s answer stands', async () => {
    expect(await shim('--kernel', '6.2', '--allow-tiocsti')).toEqual(hasSysctl ? REFUSED : OLD_ANSWER);
  });

  it('with legacy_tiocsti=1 the kernel answers, natively and under the shim alike', async () => {
    if (!hasSysctl) return;
    fs.writeFileSync(LEGACY, '1');
    try {
      expect(await native()).toEqual(OLD_ANSWER);
      expect(await shim('--kernel', '5.10', '--allow-tiocsti')).toEqual(OLD_ANSWER);
    } finally {
      fs.writeFileSync(LEGACY, '0');
    }
  });
});
