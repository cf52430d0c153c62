/**
 * The gid-map-setgroups row of the behaviour catalogue, unsupported on purpose (see its text in
 * src/handlers/behaviours.ts): natively, from 3.19 on, an unprivileged gid_map write fails with
 * EPERM unless "deny" was written to setgroups first; under a persona before 3.19 the shim
 * leaves the host's answer, where the old kernel accepted the write.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

const FROM_3_19 = { 'nodeny.errname': 'EPERM', 'deny.errname': '' };

describe('gid_map without setgroups "deny" (catalogue row gid-map-setgroups, not translated)', () => {
  beforeAll(() => requireShimBuilt());

  it('natively: EPERM without "deny", accepted with it', async () => {
    const r = await runProcess(programPath('gid-map'), []);
    expect(r.status, describeResult(r)).toBe(0);
    expect(parseOutput(r.stdout).fields).toEqual(FROM_3_19);
  });

  it('under 3.18: the host\'s answer stands (3.18 itself accepted the first write)', async () => {
    const r = await runCli(['run', '--quiet', '--kernel', '3.18', '--', programPath('gid-map')]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(parseOutput(r.stdout).fields).toEqual(FROM_3_19);
  });
});
