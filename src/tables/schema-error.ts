import type { ErrorObject } from 'ajv';
import { TableError } from '../errors.js';

/** The schemas in tables/schema/, by file stem. */
export type SchemaName = 'syscall-table' | 'releases' | 'sysctl-binary' | 'sysctl-removed' | 'arg-table' | 'manifest' | 'persona' | 'serve-policy';

/** How to repair a file that fails its schema, for the files people write or keep by hand. */
const FIX: Partial<Record<SchemaName, string>> = {
  manifest: 'fix or delete cr-shim.json (without it cr-shim treats the image as a plain CRIU image)',
  persona: 'recapture it with `cr-shim persona capture` or fix it against tables/schema/persona.schema.json',
};

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
  const hint = FIX[schema];
  return new TableError(`load ${schema} ${file}`, `${file}: ${at}: ${reason}`, { code: 'ESCHEMA', ...(hint === undefined ? {} : { hint }) });
}

/** The TableError for a file that is not JSON at all: "<file>: /: not JSON: <parser's reason>". */
export function notJsonError(schema: SchemaName, file: string, cause: unknown): TableError {
  const hint = FIX[schema];
  return new TableError(`load ${schema} ${file}`, `${file}: /: not JSON: ${(cause as Error).message}`, { cause, code: 'ESCHEMA', ...(hint === undefined ? {} : { hint }) });
}
