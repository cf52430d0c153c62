/**
 * What a failed criu command most likely needs, from the error lines of its log. Rows are
 * matched against CRIU 4.x messages in order; the first match gives the fix. Data, not logic:
 * add a row when a new failure is understood.
 *
 *   LOG-LINE ::= "(" SECONDS ") " LEVEL " (" SOURCE ":" LINE "): " MESSAGE
 *   LEVEL    ::= "Error" | "Warn " | ...
 */

export interface CriuHint {
  /** Matched against each error line of the log (and criu's own stderr). */
  pattern: RegExp;
  /** What the user should do. */
  fix: string;
}

export const CRIU_HINTS: readonly CriuHint[] = [
  { pattern: /is not a session leader|session leader of .* is outside/, fix: 'the task shares its session with processes outside the dump: add --shell-job' },
  { pattern: /Tracking memory is not available|BUG at criu\/mem\.c/, fix: 'this kernel has no soft-dirty memory tracking (CONFIG_MEM_SOFT_DIRTY): dump without --track-mem and --pre-dump' },
  { pattern: /Connected TCP socket|TCP connection/i, fix: 'the tree holds established TCP connections: add --tcp-established' },
  { pattern: /[Ee]xternal (unix )?socket|unix socket .* external|Can't dump half of stream unix/, fix: 'a unix socket leads outside the dump: add --ext-unix-sk, or dump the peer too' },
  { pattern: /File .* has bad size|File .* has bad mode/, fix: 'a file the image uses has changed since the dump: restore its content, or dump again' },
  { pattern: /Unable to restore capabilities|Unable to drop capability|Unable to raise ambient/, fix: 'the image holds capabilities this host cannot grant: cr-shim convert IMG OUT --drop-caps (cr-shim check IMG names them)' },
  { pattern: /set_tid|do not match expected|Pid \d+ do not match|Can't fork for \d+: File exists/, fix: 'a PID of the image is in use here: stop that process, or restore where the PIDs are free' },
  { pattern: /Can't open dir .*: No such file or directory|Couldn't open image dir/, fix: 'the image directory is missing: give the directory cr-shim dump wrote' },
  { pattern: /No process with such pid|Can't (open|read) .*\/proc\/\d+|seize .*: No such process/, fix: 'the process is gone: check the PID' },
  { pattern: /needs to have the CAP_SYS_ADMIN|Effective capability \d+ missing|Operation not permitted|Permission denied/, fix: 'criu needs root (CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE, and CAP_SYS_PTRACE): run cr-shim as root' },
];

/** Lines of a CRIU log that report errors, without the ones that never fail a run. */
export function errorLines(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => /\bError\b|\bBUG\b/.test(l))
    // As root without CAP_SYS_RESOURCE (this VM) every run logs this and carries on.
    .filter((l) => !/RLIMIT_NOFILE/.test(l))
    .map((l) => l.replace(/^\(\d+\.\d+\)\s*/, '').trim());
}

/** The fix for the first error line a hint row matches, if any. */
export function hintFor(lines: readonly string[]): string | undefined {
  for (const row of CRIU_HINTS) if (lines.some((l) => row.pattern.test(l))) return row.fix;
  return undefined;
}
