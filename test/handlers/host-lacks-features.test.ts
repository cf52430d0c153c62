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
import { requireShimBuilt } from '../helpers/require-build.js';
import { syscallAnswers } from '../helpers/syscall-answers.js';

interface Row { feature: string; persona: string; syscall: string; args: string[]; expect: string; why: string }
const { rows } = JSON.parse(fs.readFileSync(new URL('./cases/host-lacks-features.json', import.meta.url), 'utf8')) as { rows: Row[] };
const registry = new TableRegistry();
const lacks = new Set(probeHost({ registry }).lacks);
const nrOf = (name: string): string => String(registry.indexed('x86_64', '6.18').byName.get(name)!.nr);

describe('features this host\'s build lacks, answered as the persona\'s kernel did', () => {
  beforeAll(() => requireShimBuilt());

  it.each(rows)('$feature: $persona $syscall($args) → "$expect" ($why)', async (row) => {
    const { native, shim } = await syscallAnswers(row.persona, nrOf(row.syscall), row.args);
    if (lacks.has(row.feature)) {
      expect(native).toBe('EINVAL');
      expect(shim).toBe(row.expect);
    } else {
      expect(shim).toBe(native);
    }
  });
});
