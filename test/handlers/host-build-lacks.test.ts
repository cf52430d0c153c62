/**
 * The host-build-lacks row of the behaviour catalogue on the real kernel: a host built without
 * modules and kexec answers ENOSYS natively; under a persona the caller (root, holding
 * CAP_SYS_MODULE and CAP_SYS_BOOT) gets the argument checks that persona's kernel made.
 * On a host that has the calls the plan leaves them alone, and the shim's answer is the host's.
 */
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeHost } from '../../src/host/probe.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { syscallAnswers } from '../helpers/syscall-answers.js';

interface Row { persona: string; syscall: string; args: string[]; expect: string; why: string }
const { rows } = JSON.parse(fs.readFileSync(new URL('./cases/host-build-lacks.json', import.meta.url), 'utf8')) as { rows: Row[] };
const registry = new TableRegistry();
const missing = new Set(probeHost({ registry }).missing.x86_64);
const nrOf = (name: string): string => String(registry.indexed('x86_64', '6.18').byName.get(name)!.nr);

describe('calls this host\'s build lacks, answered with the persona\'s argument checks', () => {
  beforeAll(() => requireShimBuilt());

  it.each(rows)('$persona $syscall($args) → $expect ($why)', async (row) => {
    const { native, shim } = await syscallAnswers(row.persona, nrOf(row.syscall), row.args);
    if (missing.has(row.syscall)) {
      expect(native).toBe('ENOSYS');
      expect(shim).toBe(row.expect);
    } else {
      expect(shim).toBe(native);
    }
  });
});
