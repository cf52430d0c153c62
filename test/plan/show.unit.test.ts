/** showTable as data (cases/show-rows.json), on the committed tables. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Arch } from '../../src/arch.js';
import { showTable } from '../../src/plan/show.js';
import { TableRegistry } from '../../src/tables/registry.js';

interface Case {
  arch: Arch;
  persona: string;
  host: string;
  hostMissing: string[];
  name: string;
  nr?: number;
  status: string;
  kconfig?: string;
  crShim?: string;
  support?: string;
  basis?: string;
  hostOnly?: boolean;
}

const cases = JSON.parse(fs.readFileSync(new URL('./cases/show-rows.json', import.meta.url), 'utf8')) as { rows: Case[] };
const registry = new TableRegistry();

function show(c: Pick<Case, 'arch' | 'persona' | 'host' | 'hostMissing'>) {
  return showTable({ arch: c.arch, persona: registry.get(c.arch, c.persona), host: registry.get(c.arch, c.host), hostMissing: new Set(c.hostMissing) });
}

describe('showTable', () => {
  it.each(cases.rows)('$arch $persona on $host (lacking $hostMissing): $name $status', (c) => {
    const result = show(c);
    const row = result.rows.find((r) => r.name === c.name);
    if (c.status === 'absent') {
      expect(row).toBeUndefined();
      if (c.hostOnly !== undefined) expect(result.hostOnly.some((h) => h.name === c.name)).toBe(c.hostOnly);
      if (c.hostOnly) expect(result.hostOnly.find((h) => h.name === c.name)?.crShim.text).toBe('ENOSYS');
      return;
    }
    expect(row, `${c.name} in the table`).toBeDefined();
    expect(row!.status).toBe(c.status);
    if (c.nr !== undefined) expect(row!.nr).toBe(c.nr);
    if (c.kconfig !== undefined) expect(row!.kconfig).toBe(c.kconfig);
    if (c.crShim !== undefined) expect(row!.crShim.text).toBe(c.crShim);
    if (c.support !== undefined) expect(row!.crShim.support).toBe(c.support);
    if (c.basis !== undefined) expect(row!.crShim.basis).toBe(c.basis);
  });

  it('lists every entry of the persona table once, by number', () => {
    const c = { arch: 'x86_64' as const, persona: '4.19', host: '6.18', hostMissing: [] };
    const { rows } = show(c);
    expect(rows.map((r) => r.nr)).toEqual(registry.get('x86_64', '4.19').syscalls.map((e) => e.nr));
  });
});
