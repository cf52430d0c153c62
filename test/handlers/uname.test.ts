// uname: the bytes each form copies out (pure), the UNAME26 release by persona (cases), and on
// the real kernel: a thread that changes its UTS namespace, names and personality under
// `cr-shim run`, and the util-linux commands that do the same (cases/uname-personality.json).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { uname26Release, unameTemplate, utsnameBytes } from '../../src/handlers/uname.js';
import type { Persona } from '../../src/persona/types.js';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

requireShimBuilt();

interface Cases {
  uname26: { persona: string; expect: string }[];
  run: { why: string; kernel: string; uname26: string; trace?: boolean }[];
  commands: { why: string; kernel: string; argv: string[]; stdout: string }[];
}
const CASES = JSON.parse(fs.readFileSync(new URL('./cases/uname-personality.json', import.meta.url), 'utf8')) as Cases;

const persona: Persona = {
  release: '2.6.32-754.el6.x86_64', mainline: '2.6.32', exact: true, version: '#1 SMP Tue Jun 19 21:26:04 UTC 2018',
  sysname: 'Linux', procVersion: '', origin: 'test',
};
const task = { nodename: 'node', domainname: '(none)', personality: 0 };

function fields(buf: Buffer, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < buf.length; i += width) out.push(buf.subarray(i, i + width).toString('latin1').replace(/\0.*$/s, ''));
  return out;
}

describe('utsnameBytes', () => {
  it.each([
    ['uname', 390, 65, ['Linux', 'node', '2.6.32-754.el6.x86_64', '#1 SMP Tue Jun 19 21:26:04 UTC 2018', 'x86_64', '(none)']],
    ['olduname', 325, 65, ['Linux', 'node', '2.6.32-754.el6.x86_64', '#1 SMP Tue Jun 19 21:26:04 UTC 2018', 'x86_64']],
    ['oldolduname', 45, 9, ['Linux', 'node', '2.6.32-7', '#1 SMP T', 'x86_64']],
  ] as const)('%s: %i bytes of %i-byte fields', (name, size, width, expected) => {
    const b = utsnameBytes(name, persona, task, 'x86_64');
    expect(b.length).toBe(size);
    expect(fields(b, width)).toEqual(expected);
    // Every field keeps a terminating NUL, as the kernel's fixed arrays do.
    for (let i = width - 1; i < size; i += width) expect(b[i]).toBe(0);
  });

  it('PER_LINUX32 makes machine i686; UNAME26 rewrites a 4.19 release', () => {
    const p419 = { ...persona, release: '4.19', mainline: '4.19' };
    expect(fields(utsnameBytes('uname', p419, { ...task, personality: 0x0008 | 0x0020000 }, 'x86_64'), 65)).toEqual(['Linux', 'node', '2.6.79', persona.version, 'i686', '(none)']);
  });

  it('the native template: the names left empty, then the UNAME26 release and the i686 machine', () => {
    const { bytes, width } = unameTemplate('uname', { ...persona, release: '4.19' }, 'x86_64');
    expect(width).toBe(65);
    expect(fields(bytes, 65)).toEqual(['Linux', '', '4.19', persona.version, 'x86_64', '', '2.6.79', 'i686']);
  });
});

describe('uname26Release', () => {
  it.each(CASES.uname26)('$persona → $expect', ({ persona: release, expect: want }) => {
    expect(uname26Release(release)).toBe(want);
  });

  it("agrees with this machine's kernel about its own release", async () => {
    const r = await runProcess(programPath('uts-switch'), [`native-${process.pid}`, 'native.test']);
    expect(r.status, describeResult(r)).toBe(0);
    expect(parseOutput(r.stdout).get('uname26.release')).toBe(uname26Release(os.release()));
  });
});

describe('under cr-shim run: from the calling task, at the time of the call', () => {
  it.each(CASES.run)('$why', async ({ kernel, uname26, trace }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-uts-'));
    const node = `cr-shim-${process.pid}`;
    const args = ['run', '--quiet', '--kernel', kernel, ...(trace ? ['--trace', path.join(dir, 'trace.jsonl')] : []), '--', programPath('uts-switch'), node, 'shim.test'];
    const r = await runCli(args, { timeoutMs: 30_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status, describeResult(r)).toBe(0);
    const out = parseOutput(r.stdout);
    const host = { nodename: os.hostname(), machine: os.machine() };
    const want = {
      before: [host.nodename, kernel, host.machine],
      unshare: [host.nodename, kernel, host.machine],
      renamed: [node, kernel, host.machine],
      linux32: [node, kernel, 'i686'],
      uname26: [node, uname26, 'i686'],
      plain: [node, kernel, host.machine],
    };
    for (const [step, [nodename, release, machine]] of Object.entries(want)) {
      expect([out.get(`${step}.nodename`), out.get(`${step}.release`), out.get(`${step}.machine`)], step).toEqual([nodename, release, machine]);
    }
    expect(out.get('renamed.domainname')).toBe('shim.test');
  });

  it.each(CASES.commands)('$why', async ({ kernel, argv, stdout }) => {
    const r = await runCli(['run', '--quiet', '--kernel', kernel, '--', ...argv], { timeoutMs: 30_000 });
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout.trimEnd()).toBe(stdout);
  });
});
