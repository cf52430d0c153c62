/**
 * Making and inspecting real CRIU images in tests: start a program whose stdio goes to a file
 * (so its image holds no pipe to the test), wait for its ready=1, hash a directory to prove
 * a command left it untouched, and edit an image the way another host's dump would differ.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CoreImage, listCoreTids } from '../../../src/criu/image/core.js';
import { parseOutput } from '../../helpers/parse-output.js';
import { FRONT_PATH } from '../../helpers/run-cli.js';

export { tempDir } from '../../helpers/temp-dir.js';

export interface Started {
  child: ChildProcess;
  /** The program's pid (from its own pid= line: under cr-shim it is not the child's). */
  pid: number;
  outFile: string;
  output(): string;
}

/**
 * Start `argv` in its own session with stdin /dev/null and stdout+stderr to `outFile`, and
 * wait until the file holds a ready=1 line. Throws with the output when it does not come.
 */
export async function startToFile(argv: readonly string[], outFile: string, timeoutMs = 20_000): Promise<Started> {
  const fd = fs.openSync(outFile, 'w');
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd], detached: true });
  fs.closeSync(fd);
  child.unref();
  const output = () => fs.readFileSync(outFile, 'utf8');
  const deadline = Date.now() + timeoutMs;
  while (!/^ready=1$/m.test(output())) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${argv.join(' ')} ended before ready=1:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`${argv.join(' ')}: no ready=1 within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const text = output();
  const pid = Number(parseOutput(text.slice(0, text.indexOf('ready=1') + 'ready=1\n'.length), { partial: true }).get('pid'));
  return { child, pid, outFile, output };
}

/** `cr-shim run --quiet [--kernel K] -- PROGRAM ARGS` as argv, for startToFile. */
export function underShim(kernel: string, program: string, ...args: string[]): string[] {
  // --dumpable: CRIU cannot dump a tree in a private mount namespace holding files opened outside it.
  return [FRONT_PATH, 'run', '--quiet', '--dumpable', '--kernel', kernel, '--', program, ...args];
}

/** Wait until `pid` is gone (a dump kills its tree); throws after timeoutMs. */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(safeRead(`/proc/${pid}/status`))) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still there after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Wait until no task holds `pid`, zombies included: CRIU restores a task only into a free PID. */
export async function waitFree(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (fs.existsSync(`/proc/${pid}`)) {
    if (Date.now() > deadline) throw new Error(`PID ${pid} still taken after ${timeoutMs} ms:\n${safeRead(`/proc/${pid}/status`)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Kill a process we started, if it is still there. */
export function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** sha256 over every entry's relative path, type, mode, size, content and link target, sorted. */
export function hashDir(dir: string): string {
  const h = createHash('sha256');
  if (!fs.existsSync(dir)) return 'absent';
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    h.update(`${rel}\0${st.mode}\0${st.size}\0`);
    if (st.isSymbolicLink()) h.update(fs.readlinkSync(abs));
    else if (st.isDirectory()) for (const e of fs.readdirSync(abs).sort()) walk(path.join(rel, e));
    else h.update(fs.readFileSync(abs));
  };
  walk('.');
  return h.digest('hex');
}

/** Copy an image directory (for a fixture edited in place). */
export function copyImage(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

/** Give every thread of the image `caps` in its permitted, effective and bounding sets, as a dump on a host whose root holds them would. */
export function grantCaps(imgDir: string, caps: bigint): void {
  for (const tid of listCoreTids(imgDir)) {
    const core = CoreImage.read(imgDir, tid);
    const creds = core.creds();
    if (creds === undefined) throw new Error(`core-${tid}.img has no creds`);
    for (const field of [10, 11, 12]) {
      const words = creds.repeatedUint(field);
      creds.setRepeatedUint(field, words.map((w, i) => Number((BigInt(w) | (caps >> BigInt(32 * i))) & 0xffff_ffffn)));
    }
    core.setCreds(creds);
    fs.writeFileSync(core.file, core.serialize());
  }
}
