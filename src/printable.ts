/**
 * Text from files, processes and the command line made safe for a terminal: cr-shim prints
 * manifests' fields, task names (a process sets its own comm with PR_SET_NAME), paths and
 * arguments, and none of them may start a new line or send an escape sequence. Every line
 * cr-shim prints that carries such text goes through escapeControl, whatever the layer.
 */

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** C0 and C1 control characters and DEL as \n, \r, \t or \xNN; everything else as it is. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
