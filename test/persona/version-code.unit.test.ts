import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { personaVersionCode } from '../../src/persona/version-code.js';

interface Row {
  release: string;
  version: string;
  code: string | null;
}
const cases = JSON.parse(fs.readFileSync(new URL('./cases/version-code.json', import.meta.url), 'utf8')) as { rows: Row[] };

describe('personaVersionCode', () => {
  it.each(cases.rows)('$release ($version) → $code', (row) => {
    const code = personaVersionCode(row);
    expect(code === undefined ? null : '0x' + code.toString(16).padStart(6, '0')).toBe(row.code);
  });
});
