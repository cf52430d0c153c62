/**
 * The sysctl-removed row of the behaviour catalogue with the real sysctl(8) (procps): natively,
 * a kernel from 4.12 on has no net.ipv4.tcp_tw_recycle, so `sysctl -w` and `sysctl -p` of an old
 * profile fail; under `run --kernel 4.9` the file is there, reads the old default and keeps
 * what is written, in the program's mount namespace only. Under `run --dumpable`, `attach` and
 * `restore` the supervisor answers the opens and stats instead, with a stand-in kept for the tree
 * (cases/sysctl-removed-trapped.json: the same script, the same expected lines, per command).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { dumpThenRestore } from '../helpers/dump-restore.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { CLI_PATH, runCli, startCli } from '../helpers/run-cli.js';
import { describeResult, runProcess, startProcess } from '../helpers/run-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const TW = '/proc/sys/net/ipv4/tcp_tw_recycle';
const hostLacks = !fs.existsSync(TW);

function sh(script: string, kernel?: string): ReturnType<typeof runProcess> {
  return kernel === undefined ? runProcess('sh', ['-c', script]) : runCli(['run', '--quiet', '--kernel', kernel, '--', 'sh', '-c', script]);
}

describe('removed sysctl files (catalogue row sysctl-removed)', () => {
  beforeAll(() => requireShimBuilt());

  it('natively, from 4.12 on: sysctl -w net.ipv4.tcp_tw_recycle=0 fails', async () => {
    const r = await sh('sysctl -w net.ipv4.tcp_tw_recycle=0');
    if (hostLacks) {
      expect(r.status, describeResult(r)).not.toBe(0);
      expect(r.stderr).toMatch(/tcp_tw_recycle: No such file or directory/);
    } else {
      expect(r.status, describeResult(r)).toBe(0);
    }
  });

  it('under 4.9: reads the old default, a write is accepted and read back by a child', async () => {
    const r = await sh('sysctl -n net.ipv4.tcp_tw_recycle && sysctl -w net.ipv4.tcp_tw_recycle=1 && sh -c "sysctl -n net.ipv4.tcp_tw_recycle"', '4.9');
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout).toBe('0\nnet.ipv4.tcp_tw_recycle = 1\n1\n');
    // The write stayed in the program's namespace: the host has no such file.
    expect(fs.existsSync(TW)).toBe(!hostLacks);
  });

  it('under 4.9: sysctl -p of an old profile succeeds; the host\'s files in that directory read and write as natively', async () => {
    const dir = tempDir('sysctl');
    const profile = path.join(dir, 'old.conf');
    const syncookies = fs.readFileSync('/proc/sys/net/ipv4/tcp_syncookies', 'utf8').trim();
    // Writing the current value back: the kernel's file is reached through the cover, nothing changes.
    fs.writeFileSync(profile, `net.ipv4.tcp_tw_recycle = 0\nnet.ipv4.tcp_syncookies = ${syncookies}\n`);
    const natively = await sh(`sysctl -p ${profile}`);
    if (hostLacks) expect(natively.status, describeResult(natively)).not.toBe(0);
    const r = await sh(`sysctl -p ${profile} && ls /proc/sys/net/ipv4`, '4.9');
    expect(r.status, describeResult(r)).toBe(0);
    const [applied, listing] = [r.stdout.split('\n').slice(0, 2), r.stdout.split('\n').slice(2).filter(Boolean)];
    expect(applied).toEqual(['net.ipv4.tcp_tw_recycle = 0', `net.ipv4.tcp_syncookies = ${syncookies}`]);
    expect(listing.sort()).toEqual([...new Set([...fs.readdirSync('/proc/sys/net/ipv4'), 'tcp_tw_recycle'])].sort());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('under 4.9: _sysctl(2) of NET_TCP_TW_RECYCLE reads the same file, before and after sysctl -w', async () => {
    const legacy = programPath('legacy-sysctl');
    const r = await sh(`${legacy} --name 3.5.66 && sysctl -q -w net.ipv4.tcp_tw_recycle=1 && ${legacy} --name 3.5.66`, '4.9');
    expect(r.status, describeResult(r)).toBe(0);
    expect(parseOutput(r.stdout).all('sysctl_value')).toEqual(['\x00\x00\x00\x00', '\x01\x00\x00\x00']);
  });

  it('under 4.9: a file bound over the stand-in is not the stand-in: _sysctl reads the host\'s (none) instead', async () => {
    const legacy = programPath('legacy-sysctl');
    // As root in the program's own namespace: any file mounted there is never touched by the supervisor.
    const r = await sh(`mount --bind /etc/hostname /proc/sys/net/ipv4/tcp_tw_recycle && ${legacy} --name 3.5.66`, '4.9');
    expect(r.status, describeResult(r)).toBe(0);
    const out = parseOutput(r.stdout);
    if (hostLacks) expect(out.get('sysctl_errno')).toBe('ENOENT');
    else expect(out.has('sysctl_errno')).toBe(false);
  });

  it('under 4.12 the host\'s answer stands; nothing else can be created in the covered directory', async () => {
    const r = await sh('sysctl -w net.ipv4.tcp_tw_recycle=0', '4.12');
    expect(r.status !== 0).toBe(hostLacks);
    const created = await sh('echo 1 > /proc/sys/net/ipv4/cr_shim_new', '4.9');
    expect(created.status, describeResult(created)).not.toBe(0);
    expect(created.stderr).toMatch(/Read-only file system/);
  });

  it('under 5.10 the sched tunables are back with their defaults; under 5.13 they are gone', async () => {
    const r = await sh('cat /proc/sys/kernel/sched_nr_migrate /proc/sys/kernel/sched_migration_cost_ns', '5.10');
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout).toBe('32\n500000\n');
    const later = await sh('cat /proc/sys/kernel/sched_nr_migrate', '5.13');
    expect(later.status).not.toBe(0);
  });
});

interface Trapped {
  about: string;
  script: string[];
  views: { view: 'dumpable' | 'trace' | 'attach' | 'restore'; kernel: string; expect: Record<string, string> }[];
}
const trapped = JSON.parse(fs.readFileSync(new URL('./cases/sysctl-removed-trapped.json', import.meta.url), 'utf8')) as Trapped;
const SCRIPT = trapped.script.join('\n');

/** The key=value lines the script printed, each key once. */
function fieldsOf(text: string): Record<string, string> {
  return parseOutput(text, { partial: true }).fields;
}

/** Output of the script in a program that `vdso-note --wait-file` holds until `go` exists, then execs it. */
function held(go: string): [string, string[]] {
  return [programPath('vdso-note'), ['held', '--wait-file', go, 'sh', '-c', SCRIPT]];
}

async function underDumpable(kernel: string, extra: readonly string[] = []): Promise<Record<string, string>> {
  const r = await runCli(['run', '--quiet', '--dumpable', ...extra, '--kernel', kernel, '--', 'sh', '-c', SCRIPT], { timeoutMs: 60_000 });
  expect(r.status, describeResult(r)).toBe(0);
  return fieldsOf(r.stdout);
}

/** run --dumpable --trace: every call through TypeScript (proc-identity's and sysctl-removed-stat's handle). */
async function underTrace(kernel: string): Promise<Record<string, string>> {
  const dir = tempDir('sysctl-trace');
  try {
    const got = await underDumpable(kernel, ['--trace', path.join(dir, 'trace.jsonl')]);
    expect(fs.readFileSync(path.join(dir, 'trace.jsonl'), 'utf8')).toMatch(/tcp_tw_recycle/);
    return got;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function underAttach(kernel: string): Promise<Record<string, string>> {
  const dir = tempDir('sysctl-attach');
  const go = path.join(dir, 'go');
  const [cmd, args] = held(go);
  const program = startProcess(cmd, args, { timeoutMs: 60_000 });
  try {
    await program.waitForLine('ready=1');
    const attach = startCli(['attach', '--kernel', kernel, String(program.pid)], { timeoutMs: 60_000 });
    await waitFor('attach injects the filter', () => (attach.stderr().includes('the filter stays installed') ? true : undefined), 30_000);
    fs.writeFileSync(go, '');
    await program.waitForLine('done=1', 30_000);
    const r = await attach.result;
    expect(r.status, describeResult(r)).toBe(0);
    return fieldsOf(program.stdout());
  } finally {
    program.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** run --dumpable under `kernel`, dump while held, restore (the image names the persona), then let it go on. */
async function underRestore(kernel: string): Promise<Record<string, string>> {
  const dir = tempDir('sysctl-restore');
  try {
    const [out, go, img] = [path.join(dir, 'out'), path.join(dir, 'go'), path.join(dir, 'img')];
    const outFd = fs.openSync(out, 'w');
    const [cmd, args] = held(go);
    // Every stdio a file or /dev/null: CRIU dumps no pipe to the outside. setsid(1): a session of
    // its own, so CRIU needs no --shell-job (the program is no group leader: setsid does not fork).
    const shim = spawn(process.execPath, [CLI_PATH, 'run', '--quiet', '--dumpable', '--kernel', kernel, '--', 'setsid', cmd, ...args], { stdio: ['ignore', outFd, outFd] });
    const shimExited = new Promise((resolve) => shim.once('exit', resolve));
    fs.closeSync(outFd);
    const text = (): string => fs.readFileSync(out, 'utf8');
    const pid = await waitFor('the held program is ready', () => (fieldsOf(text()).ready === '1' ? fieldsOf(text()).pid : undefined));
    await dumpThenRestore(pid, img, go, shimExited);
    return fieldsOf(text());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const RUNNERS = { dumpable: (k: string) => underDumpable(k), trace: underTrace, attach: underAttach, restore: underRestore } as const;

describe('removed sysctl files where the supervisor answers the opens (run --dumpable, attach, restore)', () => {
  beforeAll(() => requireShimBuilt());

  it('natively the script finds no file (this host has none)', async () => {
    const r = await runProcess('sh', ['-c', SCRIPT]);
    const got = fieldsOf(r.stdout);
    // The same lines as under a persona that no longer had the file.
    if (hostLacks) expect(got).toMatchObject({ read: '', write: '1', stat: '', relative: '', shell_write: '2', done: '1' });
  });

  it.each(trapped.views)('$view --kernel $kernel', async ({ view, kernel, expect: want }) => {
    const got = await RUNNERS[view](kernel);
    expect(Object.fromEntries(Object.keys(want).map((k) => [k, got[k]]))).toEqual(want);
    // Nothing of it reached the host: it has no such file.
    expect(fs.existsSync(TW)).toBe(!hostLacks);
  }, 120_000);
});
