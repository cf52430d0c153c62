/**
 * The main thread's half of `run --mechanism sigsys`: write the library's
 * config, run the program with the library preloaded, forward signals, report
 * its status. Nothing is supervised from outside: every answer is given inside
 * the program, so there are no per-call stats, and the run ends when the
 * program itself exits (its orphans are not waited for).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShimError } from '../../errors.js';
import { buildOutput } from '../../native/addon.js';
import type { SuperviseResult } from '../../supervisor/supervise.js';
import { SignalForwarder } from '../../supervisor/signal-forwarder.js';
import { escapeControl } from '../../printable.js';
import { exitStatus } from '../../supervisor/lifecycle.js';

export const SIGSYS_LIBRARY_PATH = buildOutput('cr_shim_sigsys.so');


export async function superviseSigsys(argv: string[], config: string): Promise<SuperviseResult> {
  if (!fs.existsSync(SIGSYS_LIBRARY_PATH)) {
    throw new ShimError('sigsys', `${SIGSYS_LIBRARY_PATH} is not built`, { code: 'ENOENT', hint: 'run npm install to build native/' });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-sigsys-'));
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, config, { mode: 0o600 });
  const preload = [SIGSYS_LIBRARY_PATH, process.env.LD_PRELOAD].filter(Boolean).join(':');
  const [program, ...args] = argv;
  const signals = new SignalForwarder();
  const child = spawn(program!, args, { stdio: 'inherit', env: { ...process.env, LD_PRELOAD: preload, CR_SHIM_SIGSYS: file } });
  signals.attach((sig) => child.kill(sig));
  try {
    const status = await new Promise<number>((resolve) => {
      child.once('error', (e: NodeJS.ErrnoException) => {
        process.stderr.write(`cr-shim: ${escapeControl(`${program}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}`)}\n`);
        resolve(e.code === 'ENOENT' ? 127 : 126);
      });
      child.once('exit', (code, signal) => resolve(exitStatus(code, signal, 125)));
    });
    return { status, stats: [], native: [] };
  } finally {
    signals.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
