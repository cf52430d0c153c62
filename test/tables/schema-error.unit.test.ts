import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TableError } from '../../src/errors.js';
import { validateJson } from '../../src/tables/load.js';
import type { SchemaName } from '../../src/tables/schema-error.js';

interface Row {
  schema: SchemaName;
  data: unknown;
  message: string;
  hint?: string;
}
const cases = JSON.parse(fs.readFileSync(new URL('./cases/schema-errors.json', import.meta.url), 'utf8')) as { rows: Row[] };

describe('one JSON validation path', () => {
  it.each(cases.rows)('$schema: $message', (row) => {
    let err: unknown;
    try {
      validateJson(row.data, row.schema, 'f.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TableError);
    expect(err).toMatchObject({ code: 'ESCHEMA', op: `load ${row.schema} f.json`, message: row.message });
    if (row.hint !== undefined) expect((err as TableError).hint).toContain(row.hint);
  });
});
