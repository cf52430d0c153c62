// cr-shim restore: what it says when it has to assume, and how it fails.
// The seed's end-to-end steps are in test/restore/seed-steps.test.ts.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { locateCriu } from '../../src/criu/binary.js';
import { liveVdsoVersion } from '../helpers/live-vdso.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import { askReport, readProgress, startSubject, waitProgress } from '../inject/subject.js';
import { alive, fingerprint, startUnderShim } from '../inject/shim-subject.js';

requireShimBuilt();

const EXIT_SHIM_FAILED = 125;
const EXIT_USAGE = 2;

describe('cr-shim restore', () => {
  it('a missing image: one line naming it, the status check and convert give (125)', async () => {
    const r = await runCli(['restore', '/nonexistent/img']);
    expect(r.status).toBe(125);
    expect(r.stderr).toBe('cr-shim: open image: image directory /nonexistent/img does not exist; give the directory cr-shim dump wrote\n');
  });

  it('a directory that is not an image: one line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-notimg-'));
    const r = await runCli(['restore', dir]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^cr-shim: open image: .* (is empty|has no inventory\.img): not a CRIU image directory[^\n]*\n$/);
  });

  it('options cr-shim owns cannot be passed through to criu', async () => {
    const img = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-img-'));
    fs.writeFileSync(path.join(img, 'inventory.img'), '');
    const r = await runCli(['restore', '--kernel', '4.19', img, '--', '--leave-running']);
    expect(r.status).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/^cr-shim: restore: criu option --leave-running is cr-shim's to set; /);
  });

  it('without a manifest or --kernel, infers the kernel from the vDSO note in the image, says so, and presents it', async () => {
    const s = await startSubject('single');
    const img = path.join(path.dirname(s.state), 'img');
    fs.mkdirSync(img);
    const criu = await locateCriu();
    await promisify(execFile)(criu.path, ['dump', '-t', String(s.pid), '-D', img, '-o', path.join(path.dirname(img), 'dump.log')]);
    await s.exited;
    const atDump = readProgress(s.state)!.counter;
    const restore = startCli(['restore', img], { timeoutMs: 60_000 });
    await waitProgress(s.state, (p) => p.counter > atDump, 30_000);
    const report = await askReport(s.state);
    const r = await restore.result;
    expect(r.status, describeResult(r)).toBe(42);
    // The note's value comes from this machine's own vDSO, never from a committed build string.
    const live = liveVdsoVersion();
    expect(r.stderr).toContain(`${img} has no cr-shim.json and no --kernel was given: the vDSO of process ${s.pid} in the image says Linux ${live.release} (LINUX_VERSION_CODE 0x`);
    expect(r.stderr).toContain("the note cannot tell the distribution's release suffix");
    expect(report).toMatchObject({ release: live.release, sysctl_errno: 'ENOSYS' });
  }, 60_000);

  it('an image with a USER_NOTIF filter and no listener (a shimmed tree dumped by plain criu) is refused with the reason; check says so too', async () => {
    const s = await startUnderShim('single', '4.19');
    const img = path.join(path.dirname(s.state), 'img');
    fs.mkdirSync(img);
    const criu = await locateCriu();
    await promisify(execFile)(criu.path, ['dump', '-t', String(s.pid), '-D', img, '-o', path.join(path.dirname(img), 'dump.log')]);
    await s.shimExited;
    const before = fingerprint(img);
    const atDump = readProgress(s.state)!.counter;
    const r = await runCli(['restore', img], { timeoutMs: 60_000 });
    expect(r.status, describeResult(r)).toBe(125);
    expect(r.stderr).toMatch(
      new RegExp(`^cr-shim: restore: ${img}: seccomp filter 0 \\(not cr-shim's\\) returns SECCOMP_RET_USER_NOTIF: its supervisor's listener is not in the image, .*; nothing was restored; if it is cr-shim's filter from a plain criu dump .*\n$`),
    );
    expect(fingerprint(img)).toEqual(before);
    expect(alive(s.pid)).toBe(false);
    expect(readProgress(s.state)!.counter).toBe(atDump);
    const check = await runCli(['check', '--json', img], { timeoutMs: 60_000 });
    expect(check.status, describeResult(check)).toBe(1);
    expect(JSON.parse(check.stdout)).toMatchObject({ staleListeners: [0], restorable: false });
  }, 60_000);

  it('threads under different filters (one with its own): restored, every thread under the shim through its own listener', async () => {
    const s = await startUnderShim('divergent', '4.19');
    const img = path.join(path.dirname(s.state), 'img');
    const dump = await runCli(['dump', String(s.pid), img], { timeoutMs: 60_000 });
    expect(dump.status, describeResult(dump)).toBe(0);
    await s.shimExited;
    const before = fingerprint(img);
    const atDump = readProgress(s.state)!.counter;
    const restore = startCli(['restore', img], { timeoutMs: 60_000 });
    await waitProgress(s.state, (p) => p.counter > atDump, 30_000);
    const report = await askReport(s.state);
    const r = await restore.result;
    expect(r.status, describeResult(r)).toBe(42);
    expect(report).toMatchObject({ release: '4.19', threads_alive: '4', 'thread.0.release': '4.19', 'thread.3.release': '4.19' });
    expect(fingerprint(img)).toEqual(before);
    expect(alive(s.pid)).toBe(false);
  }, 60_000);

  it('an image a newer criu dumped: refused with one line naming both versions, nothing restored, the image untouched', async () => {
    const s = await startUnderShim('single', '4.19');
    const img = path.join(path.dirname(s.state), 'img');
    const dump = await runCli(['dump', String(s.pid), img], { timeoutMs: 60_000 });
    expect(dump.status, describeResult(dump)).toBe(0);
    await s.shimExited;
    const file = path.join(img, 'cr-shim.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { criu: { version: string } };
    m.criu.version = '99.1.0';
    fs.writeFileSync(file, JSON.stringify(m));
    const before = fingerprint(img);
    const atDump = readProgress(s.state)!.counter;
    const criu = await locateCriu();
    const r = await runCli(['restore', img], { timeoutMs: 60_000 });
    expect(r.status, describeResult(r)).toBe(EXIT_SHIM_FAILED);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      `cr-shim: restore: ${img} was dumped by criu 99.1.0 and the criu at hand (${criu.path}, from ${criu.source === 'env' ? 'CR_SHIM_CRIU' : criu.source === 'private-root' ? 'the private root' : criu.source}) is ${criu.version}: an older CRIU cannot read a newer one's images; use criu 99.1 or newer (scripts/setup-criu.sh provisions one; pass --criu PATH or set CR_SHIM_CRIU)`,
    );
    expect(alive(s.pid)).toBe(false);
    expect(fingerprint(img)).toEqual(before);
    expect(readProgress(s.state)!.counter).toBe(atDump);
  }, 60_000);
});
