/**
 * The one line cr-shim prints for an error: "cr-shim: <op>: <message>; <fix>". Messages may
 * carry text from the user's files (a manifest's fields, a path with a newline): every control
 * character is escaped, so the error stays one line and a file cannot send escape sequences to
 * the terminal.
 */
import type { ShimError } from '../errors.js';

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** C0 and C1 control characters and DEL as \n, \r, \t or \xNN; everything else as it is. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The line, newline included. */
export function errorLine(err: Pick<ShimError, 'op' | 'message' | 'hint'>): string {
  const text = `${err.op}: ${err.message}${err.hint ? `; ${err.hint}` : ''}`;
  return `cr-shim: ${escapeControl(text)}\n`;
}
