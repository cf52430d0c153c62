/**
 * The yama-ptracer and memory-failure-advice rows of the behaviour catalogue on the real kernel:
 * a host without Yama or CONFIG_MEMORY_FAILURE answers EINVAL natively; under a persona the
 * caller (root) gets the answers the persona's kernel, which had both, gave. On a host with the
 * feature the plan leaves the call alone, and the shim's answer is the host's.
 */
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeHost } from '../../src/host/probe.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

interface Row { feature: string; persona: string; syscall: string; args: string[]; expect: string; why: string }
const { rows } = JSON.parse(fs.readFileSync(new URL('./cases/host-lacks-features.json', import.meta.url), 'utf8')) as { rows: Row[] };
const registry = new TableRegistry();
const lacks = new Set(probeHost({ registry }).lacks);
const nrOf = (name: string): string => String(registry.indexed('x86_64', '6.18').byName.get(name)!.nr);

describe('features this host\'s build lacks, answered as the persona\'s kernel did', () => {
  beforeAll(() => requireShimBuilt());

  it.each(rows)('$feature: $persona $syscall($args) → "$expect" ($why)', async (row) => {
    const argv = [nrOf(row.syscall), ...row.args];
    const native = await runProcess(programPath('syscall'), argv);
    expect(native.status, describeResult(native)).toBe(0);
    const shim = await runCli(['run', '--kernel', row.persona, '--', programPath('syscall'), ...argv]);
    expect(shim.status, describeResult(shim)).toBe(0);
    const got = parseOutput(shim.stdout).get('errname');
    if (lacks.has(row.feature)) {
      expect(parseOutput(native.stdout).get('errname')).toBe('EINVAL');
      expect(got).toBe(row.expect);
    } else {
      expect(got).toBe(parseOutput(native.stdout).get('errname'));
    }
  });
});
