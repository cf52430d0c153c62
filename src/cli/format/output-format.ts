/** How a data command prints: text for people, or JSON or CSV for scripts. */
import { UsageError } from '../../errors.js';
import { flag, type Parsed } from '../args.js';

export type OutputFormat = 'text' | 'json' | 'csv';

/** The format --json / --csv ask for; both at once is a usage error. */
export function outputFormat(p: Parsed, command: string): OutputFormat {
  const json = flag(p.options.json);
  const csv = flag(p.options.csv);
  if (json && csv) throw new UsageError(command, '--json and --csv exclude each other', { code: 'EUSAGE', hint: 'give one of them, or neither for text' });
  return json ? 'json' : csv ? 'csv' : 'text';
}

/** JSON as the commands print it: two-space indent, one trailing newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
