/**
 * The one line cr-shim prints for an error: "cr-shim: <op>: <message>; <fix>". Messages may
 * carry text from the user's files (a manifest's fields, a path with a newline): every control
 * character is escaped, so the error stays one line and a file cannot send escape sequences to
 * the terminal.
 */
import type { ShimError } from '../errors.js';
import { escapeControl } from '../printable.js';

export { escapeControl };

/** The line, newline included. */
export function errorLine(err: Pick<ShimError, 'op' | 'message' | 'hint'>): string {
  const text = `${err.op}: ${err.message}${err.hint ? `; ${err.hint}` : ''}`;
  return `cr-shim: ${escapeControl(text)}\n`;
}

/** A notice, a warning or a report line on stderr: "<who>: <text>", one line, text escaped. */
export function noticeLine(text: string, who = 'cr-shim'): string {
  return `${who}: ${escapeControl(text)}\n`;
}

/** Write noticeLine(text, who) to stderr: the one way a command prints a line that is not its output. */
export function writeNotice(text: string, who?: string): void {
  process.stderr.write(noticeLine(text, who));
}
