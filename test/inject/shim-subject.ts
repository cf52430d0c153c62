/**
 * Test helper: cr-subject under `cr-shim run --kernel R`, every stdio /dev/null
 * (so CRIU sees no pipe to the outside), and the pid of the subject itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { childrenOf } from '../../src/inject/tree.js';
import { FRONT_PATH } from '../helpers/run-cli.js';
import { programPath } from '../helpers/programs.js';
import { stateFile, waitProgress, type SubjectMode } from './subject.js';

export interface ShimSubject {
  /** cr-shim run. */
  shim: ChildProcess;
  /** cr-subject, the child cr-shim run started. */
  pid: number;
  state: string;
  shimExited: Promise<number | null>;
}

/** Start it and wait until the subject ticks under the persona. */
export async function startUnderShim(mode: SubjectMode, kernel: string): Promise<ShimSubject> {
  const state = stateFile('cr-shim-cr-');
  const shim = spawn(FRONT_PATH, ['run', '--quiet', '--dumpable', '--kernel', kernel, '--', programPath('cr-subject'), mode, state], {
    stdio: 'ignore',
  });
  const shimExited = new Promise<number | null>((resolve) => shim.once('exit', (code) => resolve(code)));
  await waitProgress(state, (p) => p.release === kernel && p.counter >= 2, 20_000);
  // A daemon says who it is; otherwise the program is cr-shim's child that is not its guard.
  const pid = mode === 'daemon' ? Number(fs.readFileSync(`${state}.daemon`, 'utf8')) : childrenOf(shim.pid!).find((c) => comm(c) !== 'cr-shim-guard');
  if (pid === undefined) throw new Error(`cr-shim run ${shim.pid} has no child`);
  return { shim, pid, state, shimExited };
}

function comm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** name → "sha256 mtime" of every file in dir: any write, even one putting the same bytes back, shows. */
export function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const file = `${dir}/${name}`;
    out[name] = `${createHash('sha256').update(fs.readFileSync(file)).digest('hex')} ${fs.statSync(file).mtimeMs}`;
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const state = /^State:\s*(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state !== 'Z';
  } catch {
    return false;
  }
}
