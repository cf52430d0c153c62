/**
 * Reading a real CRIU 4.1 dump (of own-filter, a program with a seccomp filter of its own):
 * every image cr-shim parses re-encodes to its exact bytes, and the typed views agree with what
 * the live process showed in /proc before the dump.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../../src/bpf/encode.js';
import { SECCOMP_RET } from '../../src/bpf/insn.js';
import { dumpProcess } from '../../src/criu/dump.js';
import { CoreImage, listCoreTids } from '../../src/criu/image/core.js';
import { readRegFiles } from '../../src/criu/image/files.js';
import { decodeEntries, parseImage, readImage, serializeImage } from '../../src/criu/image/image-file.js';
import { WireMessage } from '../../src/criu/image/protobuf-wire.js';
import { readInventory } from '../../src/criu/image/inventory.js';
import type { ImageKind } from '../../src/criu/image/magic.js';
import { readPstree } from '../../src/criu/image/pstree.js';
import { readImageFilters } from '../../src/criu/image/seccomp.js';
import { readThreadCaps } from '../../src/criu/image/thread-caps.js';
import { readManifest } from '../../src/criu/manifest.js';
import { programPath } from '../helpers/programs.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from './helpers/criu.js';
import { killQuietly, startToFile, tempDir, waitGone } from './helpers/images.js';

const KINDS: [RegExp, ImageKind][] = [
  [/^inventory\.img$/, 'inventory'],
  [/^pstree\.img$/, 'pstree'],
  [/^core-\d+\.img$/, 'core'],
  [/^ids-\d+\.img$/, 'ids'],
  [/^fdinfo-\d+\.img$/, 'fdinfo'],
  [/^files\.img$/, 'files'],
  [/^seccomp\.img$/, 'seccomp'],
  [/^stats-dump$/, 'stats'],
];

describe('a real dump', () => {
  const work = tempDir('images');
  const img = path.join(work, 'img');
  let pid: number | undefined;
  let status = '';

  beforeAll(async () => {
    const criu = await ensureCriu();
    const started = await startToFile([programPath('own-filter'), '--setsid'], path.join(work, 'out'));
    pid = started.pid;
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    await dumpProcess({ pid, imgDir: img, criu, criuArgs: [], preDumps: 0 });
    await waitGone(pid);
  }, SETUP_TIMEOUT_MS);

  afterAll(() => {
    killQuietly(pid);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('every image cr-shim parses re-encodes byte for byte, entry by entry', () => {
    let parsed = 0;
    for (const name of fs.readdirSync(img)) {
      const kind = KINDS.find(([re]) => re.test(name))?.[1];
      if (kind === undefined) continue;
      const file = path.join(img, name);
      const bytes = fs.readFileSync(file);
      const image = readImage(file, kind);
      const reencoded = decodeEntries(image, file).map((m) => m.encode());
      expect(serializeImage({ kind, entries: reencoded }).equals(bytes), name).toBe(true);
      parsed++;
    }
    expect(parsed).toBeGreaterThanOrEqual(7);
  });

  it('inventory, process tree and core images describe the process', () => {
    expect(readInventory(img).imgVersion).toBe(2);
    expect(readPstree(img)).toEqual([{ pid, ppid: 0, pgid: pid, sid: pid, threads: [pid] }]);
    expect(listCoreTids(img)).toEqual([pid]);
    const core = CoreImage.read(img, pid!);
    expect(core.arch()).toBe('x86_64');
    expect(core.comm()).toBe('own-filter');
  });

  it('the program\'s own filter: six instructions, getpriority answered with EPERM', () => {
    const { filters, tasks } = readImageFilters(img);
    expect(filters).toHaveLength(1);
    expect(filters[0]!.prev).toBeUndefined();
    const insns = decode(filters[0]!.insns);
    expect(insns).toHaveLength(6);
    expect(insns[4]!.k >>> 0).toBe((SECCOMP_RET.ERRNO | os.constants.errno.EPERM) >>> 0);
    expect(tasks).toEqual([{ pid, filterIndex: 0, mode: 2 }]);
    expect(status).toMatch(/^Seccomp_filters:\s+1$/m);
  });

  it('the capability sets are the ones /proc showed', () => {
    const hex = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)![1]!}`);
    const [t] = readThreadCaps(img);
    expect(t!.caps).toEqual({ inh: hex('CapInh'), prm: hex('CapPrm'), eff: hex('CapEff'), bnd: hex('CapBnd'), amb: hex('CapAmb') });
  });

  it('the regular files: the executable (mapped) and stdin, /dev/null on fd 0', () => {
    const files = readRegFiles(img);
    const exe = files.find((f) => f.name === programPath('own-filter'));
    expect(exe?.size).toBe(BigInt(fs.statSync(programPath('own-filter')).size));
    expect(exe?.holders).toEqual([]);
    const devNull = files.find((f) => f.name === '/dev/null');
    expect((devNull!.mode! & 0o170000)).toBe(0o020000);
    expect(devNull!.holders).toContainEqual({ pid, fd: 0 });
  });

  it('an edit of a core image changes only the fields it sets', () => {
    const before = fs.readFileSync(CoreImage.read(img, pid!).file);
    const same = CoreImage.read(img, pid!);
    same.setSeccomp({ mode: 2, filter: 0 });
    expect(same.serialize().equals(before)).toBe(true);

    const edited = CoreImage.read(img, pid!);
    edited.setSeccomp({ mode: 0 });
    const threadCore = (bytes: Buffer) => WireMessage.decode(parseImage(bytes, 'core', 'core').entries[0]!).message(5)!;
    const rest = (m: WireMessage) => m.fields.filter((f) => f.no !== 11 && f.no !== 12).map((f) => f.raw.toString('hex'));
    const after = threadCore(edited.serialize());
    expect(after.has(11) || after.has(12)).toBe(false);
    expect(rest(after)).toEqual(rest(threadCore(before)));
  });

  it('the manifest names this kernel and no persona', () => {
    const m = readManifest(img)!;
    expect(m.kernel.release).toBe(os.release());
    expect(m.persona).toBeUndefined();
    expect(m.shimFilter).toBeUndefined();
    expect(m.dump).toEqual({ pid, criuArgs: [] });
  });
});
