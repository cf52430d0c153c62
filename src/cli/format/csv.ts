/*
 * CSV as RFC 4180 writes it, with LF line ends:
 *
 *   FILE   ::= HEADER LF { RECORD LF }
 *   RECORD ::= FIELD { "," FIELD }
 *   FIELD  ::= TEXT                         no comma, quote, CR or LF in it
 *            | '"' { TEXT | '""' } '"'      anything, a quote doubled
 *
 * A missing value is an empty field. Lists inside one field are joined with "; ".
 */

export type CsvValue = string | number | boolean | undefined | readonly string[];

function field(v: CsvValue): string {
  if (v === undefined) return '';
  const s = Array.isArray(v) ? v.join('; ') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One header line and one line per row. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
}
