// cr-shim attach: a running tree put under the shim for the rest of its life.
import { describe, expect, it } from 'vitest';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import { askReport, readProgress, startSubject, waitProgress } from '../inject/subject.js';
import { startUnderShim } from '../inject/shim-subject.js';

requireShimBuilt();

const NOTICE = 'cr-shim: attach: the filter stays installed for the life of these processes; it cannot be removed\n';
const EXIT_SHIM_FAILED = 125;
const EXIT_USAGE = 2;

describe('cr-shim attach', () => {
  it('a running program sees 3.10.0 from its next call on; attach supervises until it exits', async () => {
    const s = await startSubject('threads');
    try {
      expect(readProgress(s.state)!.release).not.toBe('3.10.0');
      const attach = startCli(['attach', '--kernel', '3.10.0', String(s.pid)], { timeoutMs: 60_000 });
      await waitProgress(s.state, (p) => p.release === '3.10.0', 30_000);
      const report = await askReport(s.state);
      expect(report).toMatchObject({ release: '3.10.0', sysctl_osrelease: '3.10.0', threads_alive: '4', 'thread.3.release': '3.10.0' });
      expect(await s.exited).toEqual({ code: 42, signal: null });
      const r = await attach.result;
      expect(r.status, describeResult(r)).toBe(0);
      expect(r.stderr.split(NOTICE).length - 1).toBe(1);
      expect(r.stderr).toContain(`cr-shim: attach: process ${s.pid} has exited; its exit status is unknown (it is not a child of cr-shim)`);
    } finally {
      s.child.kill('SIGKILL');
    }
  }, 60_000);

  it('a process that does not exist: one line, the status dump gives (125)', async () => {
    const r = await runCli(['attach', '--quiet', '--kernel', '3.10.0', '999999999']);
    expect(r.status).toBe(125);
    expect(r.stderr).toBe('cr-shim: attach: no process 999999999; check the PID (ps -p PID)\n');
  });

  it('without --kernel or with a bad pid: usage errors', async () => {
    expect(await runCli(['attach', '1'])).toMatchObject({ status: EXIT_USAGE, stderr: expect.stringMatching(/^cr-shim: attach: no --kernel given; usage: /) });
    expect(await runCli(['attach', '--kernel', '4.19', 'x1'])).toMatchObject({ status: EXIT_USAGE, stderr: expect.stringMatching(/^cr-shim: attach: expected one pid, got x1;/) });
  });

  it('cr-shim itself or an ancestor is refused', async () => {
    const r = await runCli(['attach', '--kernel', '4.19', String(process.pid)]);
    expect(r.status).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/is cr-shim itself or one of its ancestors/);
  });

  it('a program already under cr-shim run: EBUSY, one line, and it goes on under run untouched', async () => {
    const s = await startUnderShim('single', '4.19');
    try {
      const r = await runCli(['attach', '--quiet', '--kernel', '3.10.0', String(s.pid)], { timeoutMs: 30_000 });
      expect(r.status, describeResult(r)).toBe(EXIT_SHIM_FAILED);
      expect(r.stderr).toBe(
        `cr-shim: inject into ${s.pid}: process ${s.pid} already runs under another supervisor's seccomp listener (a thread can have only one); the tree was left as it was; ` +
          'stop that supervisor first (cr-shim run, attach or restore of the same tree)\n',
      );
      const now = readProgress(s.state)!.counter;
      await waitProgress(s.state, (p) => p.counter > now + 1 && p.release === '4.19');
    } finally {
      s.shim.kill('SIGTERM');
      await s.shimExited;
    }
  }, 60_000);
});
