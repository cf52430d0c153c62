/**
 * The native front's dispatch (native/front/main.c): every command it does not answer itself
 * reaches the Node.js CLI unchanged (same output, same status), by exec in the same process;
 * CR_SHIM_FRONT=off sends all of them there; a Node.js that cannot be started is one error line.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runNodeCli } from '../helpers/run-cli.js';
import { runProcess, startProcess } from '../helpers/run-process.js';

requireShimBuilt();

const FRONT = path.join(REPO_ROOT, 'bin', 'cr-shim');

/** Commands the front hands to the CLI, with what each must print (cases as data). */
const HANDED_ON: readonly { args: string[]; status: number }[] = [
  { args: ['--version'], status: 0 },
  { args: [], status: 2 },
  { args: ['no-such-command'], status: 2 },
  { args: ['tables', 'list'], status: 0 },
  { args: ['run', '--help'], status: 0 },
  { args: ['run', '--no-such-option', '--', '/bin/true'], status: 2 },
  { args: ['restore', '--help'], status: 0 },
];

describe('the native front', () => {
  it.each(HANDED_ON)('hands `cr-shim $args` to the Node.js CLI: same output and status', async ({ args, status }) => {
    const [front, cli] = await Promise.all([runProcess(FRONT, args), runNodeCli(args)]);
    expect(front.status).toBe(status);
    expect({ stdout: front.stdout, stderr: front.stderr, status: front.status }).toEqual({ stdout: cli.stdout, stderr: cli.stderr, status: cli.status });
  });

  it('runs through a symbolic link, as npm links bin/cr-shim', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cr-shim-front-'));
    try {
      symlinkSync(FRONT, path.join(dir, 'cr-shim'));
      const r = await runProcess(path.join(dir, 'cr-shim'), ['--version']);
      expect(r.stdout).toBe('cr-shim 0.1.0\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says in one line when Node.js cannot be started, status 125', async () => {
    const r = await runProcess(FRONT, ['--version'], { env: { ...process.env, CR_SHIM_NODE: '/nonexistent/node' } });
    expect(r.status).toBe(125);
    expect(r.stderr).toBe('cr-shim: start Node.js: /nonexistent/node: No such file or directory; set CR_SHIM_NODE to the path of Node.js 20 or rebuild with npm install\n');
  });

  it('is the same process as the CLI it hands over to (exec, no child left between)', async () => {
    // The program's parent is its supervisor, the CLI: it must have the pid the front started with.
    const p = startProcess(FRONT, ['run', '--quiet', '--', '/bin/sh', '-c', 'echo $PPID; ps -o comm= -p $PPID'], {
      env: { ...process.env, CR_SHIM_FRONT: 'off' },
    });
    const r = await p.result;
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${p.pid}\nnode\n`);
  });
});
