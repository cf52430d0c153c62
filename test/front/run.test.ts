/**
 * `cr-shim run` answered by the native front (native/front/run.c) on a session-cache hit, against
 * the Node.js CLI (CR_SHIM_FRONT=off) on the same request: same stdout, stderr and status. The
 * cache is primed by the CLI first (it writes the .front entry beside the JSON one); the front
 * proves it served each run by CR_SHIM_FRONT_TRACE (docs/FRONT.md), and what it declines goes to
 * the CLI. Real kernel, real processes, root's session cache (/var/cache/cr-shim/sessions, as
 * test/cli/run-cache.test.ts uses).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireShimBuilt } from '../helpers/require-build.js';
import { programPath, REPO_ROOT } from '../helpers/programs.js';
import { describeResult, runProcess, startProcess, type ProcessResult, type RunOptions } from '../helpers/run-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { parsePeakRss } from '../../src/supervisor/peak-rss.js';
import { entryName, hostRunCacheKey, type RunCacheRequest } from '../../src/supervisor/run-cache.js';

requireShimBuilt();

const FRONT = path.join(REPO_ROOT, 'bin', 'cr-shim');

let dir: string;
let traceFile: string;
let runDir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-front-run-'));
  traceFile = path.join(dir, 'trace');
  runDir = path.join(dir, 'run');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, CR_SHIM_FRONT_TRACE: traceFile, CR_SHIM_RUN_DIR: runDir, ...extra };
  // A test environment may set these for other suites: each makes the front decline.
  delete e['CR_SHIM_TABLES'];
  delete e['CR_SHIM_SESSION_CACHE'];
  return e;
};

/** The front's one trace line for the run `go` makes. */
async function traced(go: () => Promise<ProcessResult>): Promise<{ result: ProcessResult; trace: string }> {
  fs.rmSync(traceFile, { force: true });
  const result = await go();
  const trace = fs.existsSync(traceFile) ? fs.readFileSync(traceFile, 'utf8').trim() : '(no trace)';
  return { result, trace };
}

const front = (args: string[], opts: RunOptions = {}) => runProcess(FRONT, ['run', ...args], { env: env(), ...opts });
const cli = (args: string[], opts: RunOptions = {}) => runProcess(FRONT, ['run', ...args], { ...opts, env: env({ CR_SHIM_FRONT: 'off' }) });

/** Requests whose answer the front must give exactly as the CLI does. */
const SAME: { name: string; args: string[]; status: number; stdout?: RegExp }[] = [
  { name: 'uname -r under 5.10', args: ['--kernel', '5.10', '--', 'uname', '-r'], status: 0, stdout: /^5\.10\n$/ },
  { name: '/proc/version under 5.10', args: ['--kernel', '5.10', '--', 'cat', '/proc/version'], status: 0, stdout: /^Linux version 5\.10 / },
  { name: 'uname -r under 2.6.32', args: ['--kernel', '2.6.32', '--', 'uname', '-r'], status: 0, stdout: /^2\.6\.32\n$/ },
  { name: '/proc/version under 2.6.32', args: ['--kernel', '2.6.32', '--', 'cat', '/proc/version'], status: 0, stdout: /^Linux version 2\.6\.32 / },
  { name: 'exit status 3', args: ['--kernel', '5.10', '--', 'sh', '-c', 'exit 3'], status: 3 },
  { name: 'killed by SIGTERM', args: ['--kernel', '5.10', '--', 'sh', '-c', 'kill -TERM $$'], status: 143 },
  { name: 'program not found', args: ['--kernel', '5.10', '--', 'cr-shim-no-such-program'], status: 127 },
  { name: 'a notice', args: ['--kernel', '5.10.0-999-generic', '--', 'uname', '-r'], status: 0, stdout: /^5\.10\.0-999-generic\n$/ },
  { name: '--quiet hides the notice', args: ['--quiet', '--kernel', '5.10.0-999-generic', '--', 'uname', '-r'], status: 0 },
  { name: '--opt=value and --no-new-privs', args: ['--kernel=5.10', '--no-new-privs', 'uname', '-r'], status: 0, stdout: /^5\.10\n$/ },
];

/** Requests the front leaves to the CLI, and the reason its trace gives. */
const DECLINED: { reason: string; args: string[]; env?: Record<string, string> }[] = [
  { reason: 'a mechanism other than notify', args: ['--mechanism', 'ptrace', '--kernel', '5.10', '--', 'uname', '-r'] },
  { reason: 'help', args: ['--help'] },
  { reason: 'help', args: ['-h'] },
  { reason: 'a flag with a value', args: ['--stats=yes', '--', 'true'] },
  { reason: 'an unknown option', args: ['--nope', '--', 'true'] },
  { reason: 'an option without its value', args: ['--kernel'] },
  { reason: 'no program', args: ['--kernel', '5.10', '--'] },
  { reason: 'a --kernel value JSON escapes', args: ['--kernel', '5.10"', '--', 'true'] },
  { reason: 'CR_SHIM_SESSION_CACHE=off', args: ['--kernel', '5.10', '--', 'uname', '-r'], env: { CR_SHIM_SESSION_CACHE: 'off' } },
  { reason: 'CR_SHIM_TABLES', args: ['--kernel', '5.10', '--', 'uname', '-r'], env: { CR_SHIM_TABLES: path.join(REPO_ROOT, 'tables') } },
];

describe('cr-shim run served by the native front', () => {
  it.each(SAME)('$name: as the CLI', async ({ args, status, stdout }) => {
    const primed = await cli(args);
    expect(primed.status, describeResult(primed)).toBe(status);
    const { result, trace } = await traced(() => front(args));
    expect(trace).toBe('run: served');
    expect(result.status, describeResult(result)).toBe(status);
    if (stdout) expect(result.stdout).toMatch(stdout);
    const again = await cli(args);
    expect(result.stdout).toBe(again.stdout);
    expect(result.stderr).toBe(again.stderr);
  });

  it('--stats: the same table, and a peak RSS far below the CLI\'s', async () => {
    const args = ['--stats', '--kernel', '5.10', '--', 'uname', '-r'];
    await cli(args);
    const { result, trace } = await traced(() => front(args));
    expect(trace).toBe('run: served');
    const viaCli = await cli(args);
    expect(result.status, describeResult(result)).toBe(0);
    // The mean column and the RSS figure are measurements; the rest is the same.
    const shape = (s: string) => s.replace(/ +\d+\.\d\d$/gm, ' MEAN').replace(/peak RSS \d+ KiB/, 'peak RSS N KiB');
    expect(shape(result.stderr)).toBe(shape(viaCli.stderr));
    expect(result.stderr).toMatch(/^ {2}uname +x86_64 +native +1 /m);
    const ours = parsePeakRss(result.stderr)!;
    const theirs = parsePeakRss(viaCli.stderr)!;
    expect(ours).toBeGreaterThan(0);
    expect(ours * 4).toBeLessThan(theirs);
  });

  it('--trace is declined: the CLI runs it and writes the trace', async () => {
    const out = path.join(dir, 'calls.jsonl');
    const args = ['--trace', out, '--kernel', '5.10', '--', 'uname', '-r'];
    const { result, trace } = await traced(() => front(args));
    expect(trace).toBe('run: declined --trace');
    expect(result.status, describeResult(result)).toBe(0);
    expect(result.stdout).toBe('5.10\n');
    expect(fs.readFileSync(out, 'utf8')).toContain('"uname"');
  });

  it.each(DECLINED)('$reason ($args) is declined: the CLI answers as if called directly', async ({ args, reason, env: extra = {} }) => {
    const { result, trace } = await traced(() => runProcess(FRONT, ['run', ...args], { env: { ...env(), ...extra } }));
    expect(trace).toBe(`run: declined ${reason}`);
    const viaCli = await runProcess(FRONT, ['run', ...args], { env: { ...env({ CR_SHIM_FRONT: 'off' }), ...extra } });
    expect(result.status, describeResult(result)).toBe(viaCli.status);
    expect(result.stdout).toBe(viaCli.stdout);
    expect(result.stderr).toBe(viaCli.stderr);
  });

  it('a table changed since the entry was written: a miss, and the CLI\'s new entry is served next', async () => {
    const args = ['--kernel', '5.10', '--', 'uname', '-r'];
    await cli(args);
    expect((await traced(() => front(args))).trace).toBe('run: served');
    // Every directory under tables/ is a dependency: a newer mtime is a change.
    const archDir = path.join(REPO_ROOT, 'tables', 'x86_64');
    const later = new Date(fs.statSync(archDir).mtimeMs + 1000);
    fs.utimesSync(archDir, later, later);
    const changed = await traced(() => front(args));
    expect(changed.trace).toBe('run: declined a table changed');
    expect(changed.result.stdout).toBe('5.10\n');
    expect((await traced(() => front(args))).trace).toBe('run: served');
  });

  it('a miss goes to the CLI, which writes the entry; the next run is served', async () => {
    // A release no earlier test asked for: its key is new.
    const release = `5.4.0-${process.pid}-front`;
    const args = ['--quiet', '--kernel', release, '--', 'uname', '-r'];
    const first = await traced(() => front(args));
    expect(first.trace).toMatch(/^run: declined no entry [0-9a-f]{16}$/);
    expect(first.result.stdout).toBe(`${release}\n`);
    const second = await traced(() => front(args));
    expect(second.trace).toBe('run: served');
    expect(second.result.stdout).toBe(`${release}\n`);
  });
});

/** Options and the request runCacheKey sees for them: the front must compute the same key. */
const KEYS: { args: string[]; req: Omit<RunCacheRequest, 'kernel'>; kernel: boolean }[] = [
  { args: [], req: { view: { identityMounted: true, ioUring: false }, behaviourOptions: [] }, kernel: true },
  { args: ['--allow-io-uring', '--allow-tiocsti'], req: { view: { identityMounted: true, ioUring: true }, behaviourOptions: ['tiocsti'] }, kernel: true },
  { args: ['--dumpable'], req: { view: { identityMounted: false, ioUring: false }, behaviourOptions: [] }, kernel: true },
  { args: ['--allow-tiocsti'], req: { view: { identityMounted: true, ioUring: false }, behaviourOptions: ['tiocsti'] }, kernel: false },
];

describe('the front\'s key is runCacheKey\'s', () => {
  it.each(KEYS)('$args (kernel given: $kernel)', async ({ args, req, kernel }) => {
    // A release nobody ran: a miss, whose trace names the entry the front looked for.
    const release = `4.4.0-${process.pid}-key`;
    const buildId = fs.readFileSync(path.join(REPO_ROOT, 'dist', 'cli', 'build-id'), 'utf8').trim();
    // The bundle's build id: src/ has none of its own.
    const key = hostRunCacheKey({ ...req, kernel: kernel ? release : undefined }, buildId)!;
    // Not run: `--` with no program is declined before the cache, so the program here is one that exists.
    const { trace } = await traced(() => front([...args, ...(kernel ? ['--kernel', release] : []), '--', 'true']));
    // Without --kernel the host's release is asked for, which an earlier run may have cached: a hit
    // proves the same (the entry holds the key the CLI computed, compared byte for byte before
    // anything else), and so does a table changed since (the deps are checked after the key).
    const expected = [`run: declined no entry ${entryName(key)}`, ...(kernel ? [] : ['run: served', 'run: declined a table changed'])];
    expect(expected).toContain(trace);
  });
});

describe('a call that needs TypeScript: the hand-over', () => {
  // _sysctl, removed in 5.5, is answered by a TypeScript handler under 2.6.32: the front's loop
  // stops there and dist/supervisor/handover-main.js takes the run over.
  const args = ['--stats', '--kernel', '2.6.32', '--', programPath('legacy-sysctl')];

  it('answers as the CLI does, the helper\'s rows merged into --stats', async () => {
    const primed = await cli(args);
    expect(primed.status, describeResult(primed)).toBe(0);
    const { result, trace } = await traced(() => front(args));
    expect(trace).toBe('run: served');
    expect(result.status, describeResult(result)).toBe(0);
    expect(result.stdout).toBe(primed.stdout);
    expect(result.stdout).toContain('2.6.32');
    expect(result.stderr).toMatch(/^ {2}_sysctl +x86_64 +js +1 /m);
    const shape = (s: string) => s.replace(/ +\d+\.\d\d$/gm, ' MEAN').replace(/peak RSS \d+ KiB/, 'peak RSS N KiB');
    expect(shape(result.stderr)).toBe(shape(primed.stderr));
  });
  it('a helper that ends without its report: the tree is killed, one error line, 125', async () => {
    await cli(args);
    const { result, trace } = await traced(() => front(args, { env: env({ CR_SHIM_NODE: '/bin/false' }) }));
    expect(trace).toBe('run: served');
    expect(result.status, describeResult(result)).toBe(125);
    expect(result.stderr).toBe('cr-shim: supervise: the supervisor thread failed: the TypeScript helper ended without its report; the program was killed\n');
    // The program was held in _sysctl: it never got an answer.
    expect(result.stdout).not.toContain('sysctl_ret');
  });
});

describe('the front supervises as run does', () => {
  const WAITS = ['--kernel', '5.10', '--', 'sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.05; done'];

  it('a SIGTERM to the front reaches the program', async () => {
    await cli(['--kernel', '5.10', '--', 'true']);
    fs.rmSync(traceFile, { force: true });
    const p = startProcess(FRONT, ['run', ...WAITS], { env: env() });
    await p.waitForLine('ready');
    expect(fs.readFileSync(traceFile, 'utf8')).toBe('run: served\n');
    p.kill('SIGTERM');
    const r = await p.result;
    expect(r.status, describeResult(r)).toBe(7);
    expect(r.stdout).toBe('ready\ngot TERM\n');
  });

  it('keeps the supervision record while the program runs, as the CLI does, and removes it after', async () => {
    const args = ['--kernel', '5.10', '--', 'sh', '-c', 'echo pid=$$; exec sleep 30'];
    const recordOf = async (extra: Record<string, string>) => {
      const p = startProcess(FRONT, ['run', ...args], { env: env(extra) });
      const pid = Number((await p.waitForLine(/^pid=\d+$/)).slice(4));
      const file = path.join(runDir, `tree-${p.pid}.json`);
      const record = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      const cgroup = /^0::(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'))![1];
      expect(record).toMatchObject({ pid, supervisor: p.pid, persona: { release: '5.10', mainline: '5.10' }, cgroup });
      p.kill('SIGTERM');
      const r = await p.result;
      expect(r.status, describeResult(r)).toBe(143);
      expect(fs.existsSync(file)).toBe(false);
      return record;
    };
    const viaCli = await recordOf({ CR_SHIM_FRONT: 'off' });
    fs.rmSync(traceFile, { force: true });
    const ours = await recordOf({});
    expect(fs.readFileSync(traceFile, 'utf8')).toBe('run: served\n');
    expect(ours['filterSha256']).toBe(viaCli['filterSha256']);
    expect(Object.keys(ours)).toEqual(Object.keys(viaCli));
  });

  it('SIGKILL to the front kills the whole tree within a second, a daemonized grandchild included', async () => {
    const p = startProcess(FRONT, ['run', '--kernel', '5.10', '--', 'sh', '-c', 'setsid sleep 60 & echo daemon=$!; echo self=$$; exec sleep 60'], { env: env() });
    const self = Number((await p.waitForLine(/^self=\d+$/)).slice(5));
    const daemon = Number(/^daemon=(\d+)$/m.exec(p.stdout())![1]);
    const alive = (pid: number) => {
      try {
        return !/^State:\s+[ZX]/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    expect(alive(self) && alive(daemon)).toBe(true);
    p.kill('SIGKILL');
    await waitFor('the tree gone', () => (alive(self) || alive(daemon) ? undefined : true), 1000);
  });
});
