/**
 * Test helper: a private `cr-shim serve` and the CRIU plugin installed for it,
 * in a fresh temp dir: its own socket, its own record dir (CR_SHIM_RUN_DIR) and
 * plugin dir, so that tests running side by side never meet.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult, type RunningProcess } from '../helpers/run-process.js';

export interface ServeSandbox {
  dir: string;
  pluginDir: string;
  socket: string;
  runDir: string;
  /** Environment for cr-shim commands (attach, dump) that must share the record dir. */
  env: NodeJS.ProcessEnv;
  serve: RunningProcess;
  /** Add a line to the plugin's cr_shim_criu.conf (e.g. "fault bad-filter"). */
  configure(line: string): void;
  /** SIGTERM the service and wait for it; the sandbox's files stay until remove(). */
  stop(): Promise<void>;
  remove(): Promise<void>;
}

/** Install the plugin and start the service; resolves once it listens. */
export async function startServeSandbox(opts: { plain?: string; prefix?: string; policy?: unknown } = {}): Promise<ServeSandbox> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix ?? 'cr-shim-serve-'));
  const pluginDir = path.join(dir, 'plugins');
  const socket = path.join(dir, 'serve.sock');
  const runDir = path.join(dir, 'run');
  const env = { ...process.env, CR_SHIM_RUN_DIR: runDir };
  const installed = await runCli(['plugin', 'install', pluginDir, '--socket', socket], { env });
  if (installed.status !== 0) throw new Error(`plugin install failed\n${describeResult(installed)}`);
  const policy = path.join(dir, 'policy.json');
  if (opts.policy !== undefined) fs.writeFileSync(policy, JSON.stringify(opts.policy));
  const serve = startCli(['serve', '--socket', socket, ...(opts.plain ? ['--plain', opts.plain] : []), ...(opts.policy !== undefined ? ['--policy', policy] : [])], { env, timeoutMs: 600_000 });
  const end = Date.now() + 30_000;
  while (!fs.existsSync(socket)) {
    if (Date.now() > end || serve.child.exitCode !== null) throw new Error(`cr-shim serve did not listen on ${socket}: ${serve.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      serve.kill('SIGTERM');
      await serve.result.catch(() => undefined);
    })());
  return {
    dir,
    pluginDir,
    socket,
    runDir,
    env,
    serve,
    configure: (line) => fs.appendFileSync(path.join(pluginDir, 'cr_shim_criu.conf'), `${line}\n`),
    stop,
    remove: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
