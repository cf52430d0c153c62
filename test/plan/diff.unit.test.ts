/** diffTables as data (cases/diff-rows.json), on the committed tables. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Arch } from '../../src/arch.js';
import { diffTables, type DiffRow } from '../../src/plan/diff.js';
import { TableRegistry } from '../../src/tables/registry.js';

interface Case {
  arch: Arch;
  from: string;
  to: string;
  name: string;
  kind: DiffRow['kind'] | 'absent';
  nr?: number;
  changes?: string[];
  crShim?: string;
  support?: string;
  basis?: string;
}

const cases = JSON.parse(fs.readFileSync(new URL('./cases/diff-rows.json', import.meta.url), 'utf8')) as { rows: Case[] };
const registry = new TableRegistry();
const memo = new Map<string, DiffRow[]>();

function diff(arch: Arch, from: string, to: string): DiffRow[] {
  const key = `${arch} ${from} ${to}`;
  let rows = memo.get(key);
  if (!rows) {
    rows = diffTables({ arch, from: registry.get(arch, from), to: registry.get(arch, to), hostMissing: new Set() });
    memo.set(key, rows);
  }
  return rows;
}

describe('diffTables', () => {
  it.each(cases.rows)('$arch $from -> $to: $name $kind', (c) => {
    const row = diff(c.arch, c.from, c.to).find((r) => r.name === c.name);
    if (c.kind === 'absent') {
      expect(row).toBeUndefined();
      return;
    }
    expect(row, `${c.name} in the diff`).toBeDefined();
    expect(row!.kind).toBe(c.kind);
    if (c.nr !== undefined) expect(row!.nr).toBe(c.nr);
    expect(row!.changes).toEqual(c.changes ?? []);
    if (c.crShim !== undefined) expect(row!.crShim.text).toBe(c.crShim);
    if (c.support !== undefined) expect(row!.crShim.support).toBe(c.support);
    if (c.basis !== undefined) expect(row!.crShim.basis).toBe(c.basis);
  });

  it('orders rows by number, one per name', () => {
    const rows = diff('x86_64', '2.6.32', '6.18');
    const nrs = rows.map((r) => r.nr);
    expect(nrs).toEqual([...nrs].sort((a, b) => a - b));
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  it('a release against itself has no differences', () => {
    expect(diff('aarch64', '6.18', '6.18')).toEqual([]);
  });

  it('swapping A and B swaps added and removed', () => {
    const fwd = diff('x86_64', '3.16', '3.17');
    const back = diff('x86_64', '3.17', '3.16');
    const names = (rows: DiffRow[], kind: DiffRow['kind']): string[] => rows.filter((r) => r.kind === kind).map((r) => r.name);
    expect(names(back, 'removed')).toEqual(names(fwd, 'added'));
    expect(names(back, 'added')).toEqual(names(fwd, 'removed'));
  });

  it('every added call is refused with ENOSYS in BPF under the older persona', () => {
    for (const r of diff('x86_64', '2.6.32', '6.18').filter((x) => x.kind === 'added')) {
      expect(r.crShim, r.name).toMatchObject({ action: 'errno', errno: 'ENOSYS', basis: 'absent' });
    }
  });
});
