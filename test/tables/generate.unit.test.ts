import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTables, type ProbeInput } from '../../scripts/gen-tables.js';
import { ARCHES } from '../../src/arch.js';
import { defaultTablesDir } from '../../src/tables/paths.js';
import type { SyscallTable } from '../../src/tables/types.js';

const TABLES = defaultTablesDir();
const REFERENCE = process.env['CR_SHIM_REFERENCE'] ?? path.resolve(TABLES, '..', '..', 'shared', 'reference');
const haveReference = fs.existsSync(path.join(REFERENCE, 'libseccomp-syscalls.csv'));
// CI always has ../shared/reference: there a missing copy is a failure, not a reason to skip.
const inCi = process.env['CI'] === 'true';

/** The files gen-tables owns under a tables/ directory: the per-ABI tables and two top-level files (not schema/ or personas/). */
function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') && (['releases.json', 'sysctl-binary.json'].includes(f) || ARCHES.some((a) => f.startsWith(`${a}/`))))
    .sort();
}

function committedProbe(arch: string): NonNullable<SyscallTable['probe']> | undefined {
  return (JSON.parse(fs.readFileSync(path.join(TABLES, arch, 'linux-6.18.json'), 'utf8')) as SyscallTable).probe;
}

/** A kallsyms map under which exactly `missing` are weak, for the 6.18 x86_64 table. */
function fakeProbe(missing: readonly string[]): ProbeInput {
  const kallsyms = new Map<string, string>();
  for (const arch of ['x86_64', 'ia32']) {
    const t = JSON.parse(fs.readFileSync(path.join(TABLES, arch, 'linux-6.18.json'), 'utf8')) as SyscallTable;
    for (const e of t.syscalls) if (e.entry) kallsyms.set(e.entry, missing.includes(e.name) ? 'W' : 'T');
  }
  return { kernel: '6.18.0-test', kallsyms };
}

describe('gen-tables', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-gen-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('has the reference data (required in CI)', () => {
    if (inCi) expect(haveReference, `reference data missing at ${REFERENCE}`).toBe(true);
  });

  it.skipIf(!haveReference && !inCi)('reproduces the committed tables byte for byte', () => {
    const out = path.join(tmp, 'same');
    const validatorsFile = path.join(tmp, 'schema-validators.generated.ts');
    generateTables({ referenceDir: REFERENCE, outDir: out, priorDir: TABLES, probe: false, validatorsFile });
    expect(fs.readFileSync(validatorsFile, 'utf8')).toBe(fs.readFileSync(path.join(TABLES, '..', 'src', 'tables', 'schema-validators.generated.ts'), 'utf8'));
    const committed = listFiles(TABLES);
    expect(listFiles(out)).toEqual(committed);
    for (const f of committed) {
      expect(fs.readFileSync(path.join(out, f), 'utf8'), f).toBe(fs.readFileSync(path.join(TABLES, f), 'utf8'));
    }
  }, 60_000);

  it.skipIf(!haveReference && !inCi)('keeps the probe date while the probed set is unchanged, and stamps a new one when it changes', () => {
    const before = committedProbe('x86_64');
    const same = path.join(tmp, 'probe-same');
    generateTables({ referenceDir: REFERENCE, outDir: same, priorDir: TABLES, probe: fakeProbe(before?.missing ?? []), today: '2099-01-01', validatorsFile: path.join(tmp, 'v1.ts') });
    const kept = (JSON.parse(fs.readFileSync(path.join(same, 'x86_64', 'linux-6.18.json'), 'utf8')) as SyscallTable).probe;
    if (before) expect(kept).toMatchObject({ kernel: before.kernel, date: before.date, missing: before.missing });
    else expect(kept?.date).toBe('2099-01-01');

    const changed = path.join(tmp, 'probe-changed');
    generateTables({ referenceDir: REFERENCE, outDir: changed, priorDir: TABLES, probe: fakeProbe(['read']), today: '2099-01-01', validatorsFile: path.join(tmp, 'v2.ts') });
    const t = JSON.parse(fs.readFileSync(path.join(changed, 'x86_64', 'linux-6.18.json'), 'utf8')) as SyscallTable;
    expect(t.probe).toMatchObject({ kernel: '6.18.0-test', date: '2099-01-01', missing: ['read'] });
    // The mainline entries do not depend on the probe.
    expect(t.syscalls).toEqual((JSON.parse(fs.readFileSync(path.join(TABLES, 'x86_64', 'linux-6.18.json'), 'utf8')) as SyscallTable).syscalls);
  }, 60_000);
});
