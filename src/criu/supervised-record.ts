/**
 * Which processes run under a cr-shim supervisor, and as what kernel: while `cr-shim run`
 * supervises a tree it keeps /run/cr-shim/PID.json for the tree's root, so `cr-shim dump` can
 * record the persona and recognise cr-shim's filter in the dump.
 *
 *   RECORD ::= { "pid": N, "startTime": TICKS, "supervisor": N,
 *                "persona": { "release": R, "mainline": M }, "filterSha256": HEX64 }
 *
 * A pid can be reused once its process is gone (a supervisor killed by SIGKILL leaves its record
 * behind), so a record counts only while the pid's start time (field 22 of /proc/PID/stat, clock
 * ticks since boot) is the one recorded and the supervisor is alive. Records that fail this are
 * removed by whoever comes across them next (a new record, a lookup).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface SupervisedRecord {
  pid: number;
  startTime: string;
  supervisor: number;
  persona: { release: string; mainline: string };
  filterSha256: string;
}

/** /run/cr-shim, or $CR_SHIM_RUN_DIR. */
export function recordDir(): string {
  return process.env.CR_SHIM_RUN_DIR || '/run/cr-shim';
}

/** The identity of a filter: sha256 of its raw struct sock_filter bytes, hex. */
export function filterSha256(insns: Uint8Array): string {
  return createHash('sha256').update(insns).digest('hex');
}

/*
 * /proc/PID/stat ::= PID " (" COMM ") " STATE " " PPID " " ... field 22 STARTTIME ...
 * COMM may hold spaces and parentheses: split after the last ")".
 */
function statFields(pid: number, procDir: string): string[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(procDir, String(pid), 'stat'), 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  // Fields from 3 (STATE) on; index 0 here is field 3.
  return text.slice(close + 2).trim().split(' ');
}

/** Field 22 (start time) of /proc/PID/stat; undefined when the process is gone. */
export function startTimeOf(pid: number, procDir = '/proc'): string | undefined {
  return statFields(pid, procDir)?.[22 - 3];
}

/** Field 4 (ppid) of /proc/PID/stat; undefined when the process is gone. */
export function parentOf(pid: number, procDir = '/proc'): number | undefined {
  const f = statFields(pid, procDir)?.[4 - 3];
  return f === undefined ? undefined : Number(f);
}

/**
 * Record that `pid` (a tree's root) runs under this process's supervision with `persona` and
 * `filter`. Returns the function that removes the record; call it when supervision ends.
 * Never throws: the record only informs a later dump, and a read-only /run must not stop a run.
 */
export function recordSupervised(pid: number, persona: { release: string; mainline: string }, filter: Uint8Array): () => void {
  const dir = recordDir();
  const file = path.join(dir, `${pid}.json`);
  const startTime = startTimeOf(pid);
  if (startTime === undefined) return () => undefined;
  const record: SupervisedRecord = {
    pid,
    startTime,
    supervisor: process.pid,
    persona: { release: persona.release, mainline: persona.mainline },
    filterSha256: filterSha256(filter),
  };
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    sweepStale(dir);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(record)}\n`);
    fs.renameSync(tmp, file);
  } catch {
    return () => undefined;
  }
  return () => fs.rmSync(file, { force: true });
}

function readRecord(file: string): SupervisedRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SupervisedRecord>;
    if (typeof r.pid !== 'number' || typeof r.startTime !== 'string' || typeof r.supervisor !== 'number') return undefined;
    if (typeof r.filterSha256 !== 'string' || typeof r.persona?.release !== 'string' || typeof r.persona.mainline !== 'string') return undefined;
    return r as SupervisedRecord;
  } catch {
    return undefined;
  }
}

function isLive(r: SupervisedRecord, procDir: string): boolean {
  return r.startTime === startTimeOf(r.pid, procDir) && startTimeOf(r.supervisor, procDir) !== undefined;
}

/** Remove the records of trees whose supervisor or root is gone (or torn records). Best effort. */
function sweepStale(dir: string, procDir = '/proc'): void {
  for (const name of fs.readdirSync(dir)) {
    if (!/^\d+\.json$/.test(name)) continue;
    const r = readRecord(path.join(dir, name));
    if (r === undefined || !isLive(r, procDir)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/**
 * The live record of the cr-shim supervision `pid` runs under: its own, or its nearest
 * ancestor's (a child forked by the supervised program inherits the filter). Undefined when
 * neither `pid` nor an ancestor is a supervised root.
 */
export function findSupervision(pid: number, procDir = '/proc'): SupervisedRecord | undefined {
  const dir = recordDir();
  const seen = new Set<number>();
  for (let p: number | undefined = pid; p !== undefined && p > 1 && !seen.has(p); p = parentOf(p, procDir)) {
    seen.add(p);
    const file = path.join(dir, `${p}.json`);
    const r = readRecord(file);
    if (r !== undefined && r.pid === p && isLive(r, procDir)) return r;
    // Stale or torn (absent is a no-op): nobody will ever use it.
    fs.rmSync(file, { force: true });
  }
  return undefined;
}
