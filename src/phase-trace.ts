/**
 * A timing trace of the phases a restore goes through, to see where its downtime goes (npm run
 * bench: downtime prints it per phase). Off unless $CR_SHIM_PHASES names a file; then every
 * process that runs a phase (the CLI, `cr-shim serve`) appends one line per phase to it:
 *
 *   TRACE ::= { LINE }
 *   LINE  ::= '{"proc":' WHO ',"phase":' NAME ',"start":' MS ',"end":' MS '}' '\n'
 *
 * MS is wall-clock time in milliseconds (performance.timeOrigin + performance.now(), i.e.
 * CLOCK_REALTIME), so that the lines of several processes and the bench's own clock line up.
 * One short write with O_APPEND is not interleaved with another process's.
 */
import fs from 'node:fs';

/** One line of the trace. */
export interface PhaseRecord {
  proc: string;
  phase: string;
  start: number;
  end: number;
}

const FILE = process.env.CR_SHIM_PHASES || undefined;
/** Who this process is in the trace: 'cli' unless it says otherwise (nameTraceProcess). */
let proc = 'cli';

/** Name this process in the trace (e.g. 'serve'), once, before its first phase. */
export function nameTraceProcess(name: string): void {
  proc = name;
}

/** Wall-clock milliseconds, the trace's clock. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

/** Is the trace on (so a caller may skip work that only feeds it)? */
export const tracingPhases = FILE !== undefined;

/** Record a phase that ran from `start` to `end` (wallMs()). Never throws: a trace must not change the outcome. */
export function recordPhase(phase: string, start: number, end = wallMs()): void {
  if (FILE === undefined) return;
  try {
    fs.appendFileSync(FILE, `${JSON.stringify({ proc, phase, start, end } satisfies PhaseRecord)}\n`);
  } catch {
    // The trace is a diagnostic; a full disk or a removed file only loses lines.
  }
}

/** Time `run` (sync, or until its promise settles) as `phase`, failing or not. */
export function timed<T>(phase: string, run: () => T): T {
  if (FILE === undefined) return run();
  const start = wallMs();
  let out: T;
  try {
    out = run();
  } catch (err) {
    recordPhase(phase, start);
    throw err;
  }
  if (out instanceof Promise) {
    const settled = () => recordPhase(phase, start);
    out.then(settled, settled);
  } else {
    recordPhase(phase, start);
  }
  return out;
}

/** Parse a trace file's text; lines that are not records (a torn last line) are skipped. Pure. */
export function parsePhases(text: string): PhaseRecord[] {
  const out: PhaseRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const r = JSON.parse(line) as Partial<PhaseRecord>;
      if (typeof r.proc === 'string' && typeof r.phase === 'string' && typeof r.start === 'number' && typeof r.end === 'number') out.push(r as PhaseRecord);
    } catch {
      // not a record
    }
  }
  return out;
}
