/**
 * Which processes run under a cr-shim supervisor, and as what kernel: while `cr-shim run`,
 * `restore` or `attach` supervises a tree it keeps /run/cr-shim/tree-SUPERVISOR.json (one tree per
 * supervisor; named after the supervisor because the root may exit first, as a daemon's does;
 * `cr-shim serve`, which supervises several, keeps tree-SUPERVISOR-TAG.json per tree), so
 * `cr-shim dump` of any task of that tree can record the persona and recognise cr-shim's filter
 * in the dump.
 *
 *   RECORD ::= { "pid": N, "startTime": TICKS, "supervisor": N, "supervisorStartTime": TICKS,
 *                "persona": { "release": R, "mainline": M }, "filterSha256": HEX64,
 *                "cgroup": PATH? }
 *
 * A task belongs to the record's tree when it is the root (same pid and start time, field 22 of
 * /proc/PID/stat, clock ticks since boot: pids are reused), descends from the root or from the
 * supervisor (cr-shim is a child subreaper, so a daemonized descendant whose parent exited is
 * re-parented to it), or sits in the tree's cgroup (`cgroup`, the path /proc/PID/cgroup shows in
 * the v2 hierarchy, src/supervisor/tree-guard.ts), which every task of the tree inherits
 * wherever it is re-parented. A record counts only while its supervisor is alive (pid and start
 * time); a supervisor killed by SIGKILL leaves its record behind, and whoever comes across it next
 * (a new record, a lookup) removes it.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

export interface SupervisedRecord {
  pid: number;
  startTime: string;
  supervisor: number;
  /** Absent in records written before it was added: the supervisor's pid alone counts then. */
  supervisorStartTime?: string;
  persona: { release: string; mainline: string };
  filterSha256: string;
  cgroup?: string;
}

/** /run/cr-shim, or $CR_SHIM_RUN_DIR. */
export function recordDir(): string {
  return process.env.CR_SHIM_RUN_DIR || '/run/cr-shim';
}

/**
 * The identity of a filter: sha256 of its raw struct sock_filter bytes, hex. node:crypto is
 * loaded on first use: initialising OpenSSL costs about 2 MB of RSS, which `run` started from
 * the session cache avoids by carrying the digest (compiled-run.ts).
 */
export function filterSha256(insns: Uint8Array): string {
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(insns).digest('hex');
}

/** A filter's bytes, or its digest when the caller has it already. */
export type FilterIdentity = Uint8Array | { sha256: string };

function digestOf(f: FilterIdentity): string {
  return f instanceof Uint8Array ? filterSha256(f) : f.sha256;
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
 * The cgroup v2 path of `pid` as /proc/PID/cgroup shows it ("0::PATH"); undefined when the
 * process is gone or the v2 hierarchy is not in use.
 */
export function cgroupOf(pid: number, procDir = '/proc'): string | undefined {
  try {
    return /^0::(.*)$/m.exec(fs.readFileSync(path.join(procDir, String(pid), 'cgroup'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Record that `pid` (a tree's root) runs under this process's supervision with `persona` and
 * `filter`, its tasks in `cgroup` (v2 path) when given. Returns the function that removes the
 * record; call it when supervision ends. `tag` names the tree among several of one supervisor.
 * Never throws: the record only informs a later dump, and a read-only /run must not stop a run.
 */
export function recordSupervised(pid: number, persona: { release: string; mainline: string }, filter: FilterIdentity, cgroup?: string, tag?: string): () => void {
  const dir = recordDir();
  const file = path.join(dir, `tree-${process.pid}${tag === undefined ? '' : `-${tag}`}.json`);
  const startTime = startTimeOf(pid);
  const supervisorStartTime = startTimeOf(process.pid);
  if (startTime === undefined || supervisorStartTime === undefined) return () => undefined;
  const record: SupervisedRecord = {
    pid,
    startTime,
    supervisor: process.pid,
    supervisorStartTime,
    persona: { release: persona.release, mainline: persona.mainline },
    filterSha256: digestOf(filter),
    ...(cgroup !== undefined ? { cgroup } : {}),
  };
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    liveRecords('/proc');
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(record)}\n`);
    fs.renameSync(tmp, file);
  } catch {
    return () => undefined;
  }
  return () => removeQuietly(file);
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // EACCES for a caller that is not root; the record is skipped, never trusted, either way.
  }
}

function readRecord(file: string): SupervisedRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SupervisedRecord>;
    if (typeof r.pid !== 'number' || typeof r.startTime !== 'string' || typeof r.supervisor !== 'number') return undefined;
    if (typeof r.filterSha256 !== 'string' || typeof r.persona?.release !== 'string' || typeof r.persona.mainline !== 'string') return undefined;
    if (r.cgroup !== undefined && typeof r.cgroup !== 'string') return undefined;
    return r as SupervisedRecord;
  } catch {
    return undefined;
  }
}

/** The supervisor is still the process that wrote the record. */
function isLive(r: SupervisedRecord, procDir: string): boolean {
  const now = startTimeOf(r.supervisor, procDir);
  return now !== undefined && (r.supervisorStartTime === undefined || r.supervisorStartTime === now);
}

/** Every live record; stale and torn ones are removed on the way. */
function liveRecords(procDir: string): SupervisedRecord[] {
  const dir = recordDir();
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => /^tree-\d+(?:-[A-Za-z0-9_]+)?\.json$/.test(n));
  } catch {
    return [];
  }
  const out: SupervisedRecord[] = [];
  for (const name of names) {
    const r = readRecord(path.join(dir, name));
    if (r !== undefined && isLive(r, procDir)) out.push(r);
    // Stale or torn: nobody will ever use it. Only root may remove it (/run/cr-shim is root's, 0755):
    // an unprivileged lookup leaves it for the next privileged one.
    else removeQuietly(path.join(dir, name));
  }
  return out;
}

/**
 * The live record of the cr-shim supervision `pid` runs under (see the file comment for what
 * belongs to a tree). Undefined when `pid` is in no supervised tree.
 */
export function findSupervision(pid: number, procDir = '/proc'): SupervisedRecord | undefined {
  const records = liveRecords(procDir);
  if (records.length === 0) return undefined;
  const cgroup = cgroupOf(pid, procDir);
  const inCgroup = records.find((r) => r.cgroup !== undefined && cgroup !== undefined && (cgroup === r.cgroup || cgroup.startsWith(`${r.cgroup}/`)));
  if (inCgroup !== undefined) return inCgroup;
  const seen = new Set<number>();
  for (let p: number | undefined = pid; p !== undefined && p > 1 && !seen.has(p); p = parentOf(p, procDir)) {
    seen.add(p);
    const root = records.find((r) => r.pid === p && r.startTime === startTimeOf(p, procDir));
    if (root !== undefined) return root;
    // An orphan re-parented to the subreaper supervisor; the supervisor itself is not supervised.
    const adopted = p !== pid ? records.find((r) => r.supervisor === p) : undefined;
    if (adopted !== undefined) return adopted;
  }
  return undefined;
}
