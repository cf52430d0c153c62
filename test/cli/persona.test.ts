import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { requireShimBuilt } from '../helpers/require-build.js';

const PROBE = {
  sysname: 'Linux',
  release: '5.10.0-99-amd64',
  version: '#1 SMP Debian 5.10.1-1 (2026-01-01)',
  machine: 'x86_64',
  procVersion: 'Linux version 5.10.0-99-amd64 (debian-kernel@lists.debian.org) #1 SMP Debian 5.10.1-1 (2026-01-01)\n',
  results: [{ nr: 0, ret: 0 }, { nr: 1, errno: 14 }, { nr: 60, skipped: 'unsafe' }],
};

describe('cr-shim persona capture', () => {
  let dir: string;
  beforeAll(() => {
    requireShimBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'persona-cli-'));
    fs.writeFileSync(path.join(dir, 'probe.json'), `${JSON.stringify(PROBE)}\n`);
  });

  it('writes a persona file from the probe output', async () => {
    const out = path.join(dir, 'p.json');
    const r = await runCli(['persona', 'capture', '--from', path.join(dir, 'probe.json'), '--package', 'linux-image-5.10.0-99-amd64', '--package-version', '5.10.1-1', '--suite', 'bullseye', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/5\.10\.0-99-amd64 \(5\.10\)/);
    const p = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(p).toMatchObject({ release: PROBE.release, version: PROBE.version, mainline: '5.10', source: { kind: 'debian-package', suite: 'bullseye' }, probe: { unsafe: [60], outcomes: { '0': 'ok', '1': 'EFAULT', '60': 'skipped' } } });
  });

  it.each([
    { what: 'no --from', args: ['persona', 'capture'], status: 2, err: /^cr-shim: persona capture: no probe output given; pass --from FILE/ },
    { what: 'no subcommand', args: ['persona'], status: 2, err: /^cr-shim: persona: no subcommand given; usage:/ },
    { what: 'a missing file', args: ['persona', 'capture', '--from', '/nonexistent/probe.json'], status: 125, err: /^cr-shim: persona capture: cannot read \/nonexistent\/probe\.json; / },
  ])('fails with one line for $what', async ({ args, status, err }) => {
    const r = await runCli(args);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(err);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('fails with one line for output that is not the probe\'s', async () => {
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"release": 1}\n');
    const r = await runCli(['persona', 'capture', '--from', path.join(dir, 'bad.json'), '--out', path.join(dir, 'x.json')]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/bad\.json lacks the probe's fields/);
  });
});
