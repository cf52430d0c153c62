import type { ErrorObject } from 'ajv';
import { TableError } from '../errors.js';

/** The schemas in tables/schema/, by file stem. */
export type SchemaName = 'syscall-table' | 'releases' | 'sysctl-binary' | 'arg-table' | 'serve-policy';

function describe(err: ErrorObject): string {
  const extra =
    err.keyword === 'additionalProperties'
      ? ` (${String((err.params as { additionalProperty?: unknown }).additionalProperty)})`
      : err.keyword === 'enum'
        ? ` (${JSON.stringify((err.params as { allowedValues?: unknown }).allowedValues)})`
        : '';
  return `${err.message ?? err.keyword}${extra}`;
}

/** The TableError for a failed validation: "<file>: <JSON path>: <reason>" (Ajv's first error). */
export function schemaError(schema: SchemaName, file: string, errors: readonly ErrorObject[] | null | undefined): TableError {
  const err = errors?.[0];
  const at = err?.instancePath || '/';
  const reason = err ? describe(err) : 'invalid';
  return new TableError(`load ${schema} ${file}`, `${file}: ${at}: ${reason}`, { code: 'ESCHEMA' });
}
