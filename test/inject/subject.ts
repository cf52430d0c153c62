/**
 * Test helper: cr-subject run natively (stdio /dev/null), with its state files
 * in a fresh temp dir. See test/programs/cr-subject.c for the modes and files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { programPath } from '../helpers/programs.js';

export type SubjectMode = 'single' | 'tree' | 'files' | 'threads' | 'divergent' | 'daemon';

export interface Progress {
  counter: number;
  release: string;
}

/** STATEFILE.progress, or undefined before the first tick. */
export function readProgress(state: string): Progress | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`${state}.progress`, 'utf8');
  } catch {
    return undefined;
  }
  const counter = /^counter=(\d+)$/m.exec(text)?.[1];
  const release = /^release=(.*)$/m.exec(text)?.[1]?.trim();
  return counter === undefined || release === undefined ? undefined : { counter: Number(counter), release };
}

/** Poll until `test` holds for the progress file; rejects after timeoutMs with the last value seen. */
export async function waitProgress(state: string, test: (p: Progress) => boolean, timeoutMs = 10_000): Promise<Progress> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const p = readProgress(state);
    if (p !== undefined && test(p)) return p;
    if (Date.now() > end) throw new Error(`${state}.progress: condition not met in ${timeoutMs} ms (last: ${JSON.stringify(p)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A fresh directory for one subject's files; the state file path inside it. */
export function stateFile(prefix = 'cr-shim-subject-'): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), 'state');
}

export interface Subject {
  child: ChildProcess;
  pid: number;
  state: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start cr-subject MODE natively and wait for its first tick. */
export async function startSubject(mode: SubjectMode): Promise<Subject> {
  const state = stateFile();
  const child = spawn(programPath('cr-subject'), [mode, state], { stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await waitProgress(state, () => true);
  return { child, pid: child.pid!, state, exited };
}

/** The line of /proc/PID[/task/TID]/status for `key`, e.g. Seccomp_filters. */
export function statusField(pid: number, key: string, tid?: number): string | undefined {
  const file = tid === undefined ? `/proc/${pid}/status` : `/proc/${pid}/task/${tid}/status`;
  try {
    return new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(fs.readFileSync(file, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export function threadIds(pid: number): number[] {
  return fs.readdirSync(`/proc/${pid}/task`).map(Number);
}

/** Parse the key=value report (test/programs/kv.h), last value of a key wins. */
export function readReport(state: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(state, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Ask for the report (STATEFILE.go) and wait until it is written. */
export async function askReport(state: string, timeoutMs = 10_000): Promise<Record<string, string>> {
  fs.writeFileSync(`${state}.go`, '');
  const end = Date.now() + timeoutMs;
  while (!fs.existsSync(state)) {
    if (Date.now() > end) throw new Error(`${state}: no report within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return readReport(state);
}
