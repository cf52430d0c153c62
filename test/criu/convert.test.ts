/**
 * Conversions on images built from scratch (helpers/synthetic-image.ts): which are required on
 * this host and what convertImage writes, for trees CRIU would take long to make (several
 * processes, each with its own copy of cr-shim's filter). Real dumps: test/cli/convert.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertImage, requiredConversions, withDroppedCaps } from '../../src/criu/convert.js';
import { CoreImage } from '../../src/criu/image/core.js';
import { readImageFilters } from '../../src/criu/image/seccomp.js';
import { readThreadCaps } from '../../src/criu/image/thread-caps.js';
import { readManifest } from '../../src/criu/manifest.js';
import { AUDIT_ARCH, X32_SYSCALL_BIT, type Arch } from '../../src/arch.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { decode } from '../../src/bpf/encode.js';
import { emulate } from '../../src/bpf/emulate.js';
import { strictFilter } from '../../src/native/strict-filter.js';
import { hashDir, tempDir } from './helpers/images.js';
import { shimManifest, writeSyntheticImage } from './helpers/synthetic-image.js';

const dir = tempDir('synthetic');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SHIM = Buffer.from('0600000000000000'.repeat(3), 'hex');
const OWN = Buffer.from('060000000100057f', 'hex');
const ALL = (1n << 41n) - 1n;
const HOST = { bounding: ALL & ~(1n << 24n), source: 'test host' };
const SIGKILL = 9;

describe('a tree of two processes under cr-shim, one with a filter of its own', () => {
  // CRIU's layout: each process's chain oldest first; process 100: shim (0) then own (1);
  // process 200: its own copy of shim (2). Thread 101 was disabled by CRIU's TSYNC merge.
  const src = path.join(dir, 'tree');
  writeSyntheticImage(src, {
    processes: [
      { pid: 100, threads: [{ tid: 100, seccomp: { mode: 2, filter: 0 }, pdeathSig: SIGKILL, caps: ALL }, { tid: 101, seccomp: { mode: 0 }, caps: ALL }] },
      { pid: 200, threads: [{ tid: 200, seccomp: { mode: 2, filter: 2 }, caps: ALL }] },
    ],
    filters: [{ insns: SHIM, prev: 1 }, { insns: OWN }, { insns: SHIM }],
    manifest: shimManifest(SHIM, 0, 100),
  });

  it('requires dropping both copies of the filter, clearing the launcher\'s parent-death signal and dropping CAP_SYS_RESOURCE', () => {
    const conv = requiredConversions(src, HOST);
    expect(conv.map((c) => c.kind)).toEqual(['drop-shim-filter', 'clear-pdeath-signal', 'drop-caps']);
    expect(conv[0]).toMatchObject({ indices: [0, 2] });
    expect(conv[0]!.why).toMatch(/cr-shim's own filter \(persona 4\.19\) 2 times \(index 0, 2\)/);
    expect(conv[1]).toMatchObject({ pids: [100] });
    expect(conv[2]).toMatchObject({ caps: ['CAP_SYS_RESOURCE'] });
    expect(conv[2]!.why).toMatch(/^thread 100 holds CAP_SYS_RESOURCE \(permitted, effective, bounding\); thread 101 holds .*; thread 200 holds/);
  });

  it('converts: the program\'s filter alone, threads renumbered or disabled, signal cleared, caps dropped; source untouched', () => {
    const before = hashDir(src);
    const out = path.join(dir, 'tree-out');
    const result = convertImage(src, out, requiredConversions(src, HOST));
    expect(hashDir(src)).toBe(before);
    expect(result.rewritten).toEqual(['core-100.img', 'core-101.img', 'core-200.img', 'seccomp.img']);
    const { filters, tasks } = readImageFilters(out);
    expect(filters.map((f) => f.insns.toString('hex'))).toEqual([OWN.toString('hex')]);
    expect(filters[0]!.prev).toBeUndefined();
    expect(tasks).toEqual([{ pid: 100, filterIndex: 0, mode: 2 }, { pid: 101, mode: 0 }, { pid: 200, mode: 0 }]);
    expect(CoreImage.read(out, 100).pdeathSignal()).toBeUndefined();
    for (const t of readThreadCaps(out)) expect(t.caps.prm & (1n << 24n)).toBe(0n);
    const m = readManifest(out)!;
    expect(m.shimFilter).toBeUndefined();
    expect(m.shimRoot).toBeUndefined();
    expect(m.persona).toEqual({ release: '4.19', mainline: '4.19' });
    expect(m.conversions?.map((c) => c.kind)).toEqual(['drop-shim-filter', 'clear-pdeath-signal', 'drop-caps']);
    expect(requiredConversions(out, HOST)).toEqual([]);
  });

  it('refuses a destination that is not empty, and writes nothing', () => {
    const out = path.join(dir, 'taken');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'x'), '');
    expect(() => convertImage(src, out, requiredConversions(src, HOST))).toThrow(/exists and is not an empty directory/);
    expect(fs.readdirSync(out)).toEqual(['x']);
    expect(fs.readdirSync(dir).filter((n) => n.includes('.cr-shim-'))).toEqual([]);
  });

  it('converts into an empty directory, hard-linking untouched files when asked', () => {
    fs.writeFileSync(path.join(src, 'pages-1.img'), Buffer.alloc(4096, 7));
    const out = path.join(dir, 'linked');
    fs.mkdirSync(out);
    convertImage(src, out, requiredConversions(src, HOST), { linkUntouched: true });
    expect(fs.statSync(path.join(out, 'pages-1.img')).ino).toBe(fs.statSync(path.join(src, 'pages-1.img')).ino);
    expect(fs.statSync(path.join(out, 'seccomp.img')).ino).not.toBe(fs.statSync(path.join(src, 'seccomp.img')).ino);
    fs.rmSync(path.join(src, 'pages-1.img'));
  });
});

describe('a process with a thread in SECCOMP_MODE_STRICT beside a thread under cr-shim\'s filter', () => {
  // Thread 401 entered strict mode natively (mode 1, no filter); 400 runs under cr-shim's filter (0).
  const src = path.join(dir, 'strict');
  writeSyntheticImage(src, {
    processes: [{ pid: 400, threads: [{ tid: 400, seccomp: { mode: 2, filter: 0 }, caps: 0n }, { tid: 401, seccomp: { mode: 1 }, caps: 0n }] }],
    filters: [{ insns: SHIM }],
    manifest: shimManifest(SHIM, 0),
  });

  it('requires dropping cr-shim\'s filter, then the strict thread\'s strict-equivalent filter', () => {
    const conv = requiredConversions(src, HOST);
    expect(conv.map((c) => c.kind)).toEqual(['drop-shim-filter', 'strict-to-filter']);
    expect(conv[1]).toMatchObject({ tids: [401] });
    expect(conv[1]!.why).toMatch(/^thread 401 is in SECCOMP_MODE_STRICT: CRIU would restore strict mode, which refuses cr-shim's filter/);
  });

  it('converts: the strict thread gets cr-shim-strict\'s filter as a chain of its own, the other none; source untouched', () => {
    const before = hashDir(src);
    const out = path.join(dir, 'strict-out');
    const result = convertImage(src, out, requiredConversions(src, HOST));
    expect(hashDir(src)).toBe(before);
    expect(result.applied[1]).toBe('gave thread 401 a strict-equivalent filter in place of SECCOMP_MODE_STRICT');
    const { filters, tasks } = readImageFilters(out);
    expect(filters.map((f) => f.insns.toString('hex'))).toEqual([strictFilter().toString('hex')]);
    expect(filters[0]!.prev).toBeUndefined();
    expect(tasks).toEqual([{ pid: 400, mode: 0 }, { pid: 401, filterIndex: 0, mode: 2 }]);
    expect(readManifest(out)!.conversions?.map((c) => c.kind)).toEqual(['drop-shim-filter', 'strict-to-filter']);
    expect(requiredConversions(out, HOST)).toEqual([]);
  });

  it('the strict-equivalent filter allows read, write, exit and rt_sigreturn (ia32: read, write, exit, sigreturn) and kills the thread at anything else', () => {
    const registry = new TableRegistry();
    const insns = decode(strictFilter());
    const verdict = (arch: Arch, name: string) => emulate(insns, { arch: AUDIT_ARCH[arch], nr: registry.indexed(arch, '6.18').byName.get(name)!.nr, args: [] }).action;
    const rows: [Arch, string, string][] = [
      ['x86_64', 'read', 'ALLOW'], ['x86_64', 'write', 'ALLOW'], ['x86_64', 'exit', 'ALLOW'], ['x86_64', 'rt_sigreturn', 'ALLOW'],
      ['x86_64', 'getpid', 'KILL_THREAD'], ['x86_64', 'exit_group', 'KILL_THREAD'], ['x86_64', 'open', 'KILL_THREAD'],
      ['ia32', 'read', 'ALLOW'], ['ia32', 'write', 'ALLOW'], ['ia32', 'exit', 'ALLOW'], ['ia32', 'sigreturn', 'ALLOW'],
      ['ia32', 'rt_sigreturn', 'KILL_THREAD'], ['ia32', 'exit_group', 'KILL_THREAD'],
      ['aarch64', 'read', 'KILL_THREAD'],
    ];
    for (const [arch, name, want] of rows) expect(verdict(arch, name), `${arch} ${name}`).toBe(want);
    // x32 numbers arrive as x86_64 with X32_SYSCALL_BIT set: not strict mode's calls either.
    expect(emulate(insns, { arch: AUDIT_ARCH.x86_64, nr: X32_SYSCALL_BIT, args: [] }).action).toBe('KILL_THREAD');
  });
});

describe('a plain image', () => {
  const src = path.join(dir, 'plain');
  writeSyntheticImage(src, { processes: [{ pid: 300, threads: [{ tid: 300, caps: ALL & ~(1n << 24n) }] }], filters: [] });

  it('needs nothing on a host that can grant its capabilities, and converts to a copy', () => {
    expect(requiredConversions(src, HOST)).toEqual([]);
    const out = path.join(dir, 'plain-out');
    expect(convertImage(src, out, [])).toEqual({ rewritten: [], applied: [] });
    // The same content; the copy's modes are 0600/0700 whatever the source's (image-files.ts).
    for (const name of fs.readdirSync(src)) expect(fs.readFileSync(path.join(out, name)).equals(fs.readFileSync(path.join(src, name))), name).toBe(true);
  });

  it('--drop-caps merges with what the host requires', () => {
    const merged = withDroppedCaps([{ kind: 'drop-caps', caps: ['CAP_SYS_RESOURCE'], why: 'host' }], 1n << 13n);
    expect(merged).toEqual([{ kind: 'drop-caps', caps: ['CAP_NET_RAW', 'CAP_SYS_RESOURCE'], why: 'host; and asked for CAP_NET_RAW' }]);
    expect(withDroppedCaps([], 1n << 13n)).toEqual([{ kind: 'drop-caps', caps: ['CAP_NET_RAW'], why: 'asked for CAP_NET_RAW' }]);
  });
});
