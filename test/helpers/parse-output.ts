/**
 * Parser for the test programs' output convention (test/programs/kv.h):
 *
 *   OUTPUT ::= { LINE }
 *   LINE   ::= KEY "=" VALUE "\n"
 *   KEY    ::= [a-z0-9_.]+
 *   VALUE  ::= { printable ASCII except "\" | "\\" | "\n" | "\t" | "\xHH" }
 *
 * Keys may repeat (sleeper's counter=); `fields` keeps the last value.
 */

export interface ProgramOutput {
  /** Every line in order, values unescaped. */
  readonly entries: ReadonlyArray<readonly [key: string, value: string]>;
  /** The last value of each key. */
  readonly fields: Readonly<Record<string, string>>;
  /** The last value of `key`; throws, quoting the output, if the key is absent. */
  get(key: string): string;
  /** Every value of `key`, in order. */
  all(key: string): string[];
  has(key: string): boolean;
}

export class OutputFormatError extends Error {}

const LINE = /^([a-z0-9_.]+)=(.*)$/;

/** Undo kv.h's escaping: \\ \n \t \xHH. Values are bytes; non-ASCII bytes map to latin1 code points. */
export function unescapeValue(value: string): string {
  return value.replace(/\\(\\|n|t|x[0-9a-f]{2})/g, (_match, esc: string) => {
    if (esc === '\\') return '\\';
    if (esc === 'n') return '\n';
    if (esc === 't') return '\t';
    return String.fromCharCode(Number.parseInt(esc.slice(1), 16));
  });
}

/**
 * Parse a test program's stdout. Throws OutputFormatError naming the first
 * line that breaks the convention, including an unterminated last line.
 * With `{ partial: true }` an unterminated last line is ignored instead, for
 * output that is still being read.
 */
export function parseOutput(text: string, opts: { partial?: boolean } = {}): ProgramOutput {
  const lines = text.split('\n');
  const last = lines.pop();
  if (last !== undefined && last !== '' && !opts.partial) {
    throw new OutputFormatError(`unterminated last line ${JSON.stringify(last)} in output:\n${text}`);
  }
  const entries: Array<readonly [string, string]> = [];
  lines.forEach((line, index) => {
    const match = LINE.exec(line);
    if (match === null) {
      throw new OutputFormatError(`line ${index + 1} is not key=value: ${JSON.stringify(line)} in output:\n${text}`);
    }
    const value = match[2] ?? '';
    if (/[^\x20-\x7e]/.test(value) || /\\(?!\\|n|t|x[0-9a-f]{2})/.test(value.replace(/\\\\/g, ''))) {
      throw new OutputFormatError(`line ${index + 1} has a badly escaped value: ${JSON.stringify(line)}`);
    }
    entries.push([match[1] ?? '', unescapeValue(value)] as const);
  });

  const fields = Object.create(null) as Record<string, string>;
  for (const [key, value] of entries) fields[key] = value;

  return {
    entries,
    fields,
    get(key) {
      const value = fields[key];
      if (value === undefined) throw new OutputFormatError(`no ${key}= line in output:\n${text}`);
      return value;
    },
    all: (key) => entries.filter(([k]) => k === key).map(([, v]) => v),
    has: (key) => Object.hasOwn(fields, key),
  };
}
