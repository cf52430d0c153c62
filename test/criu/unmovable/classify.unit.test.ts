/**
 * The classification rules as data: case files of facts → verdicts (cases/classify-*.json),
 * the namespace rules, and the plan --terminate-unmovable states before it signals anything.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyFd, classifyMapping, classifyNamespaces, type FdFacts, type Finding, type MapFacts } from '../../../src/criu/unmovable/classify.js';
import { ANON_REASONS, CRIU_ANON_DUMPERS, DEVICE_CLASSES, UNMOVABLE_KINDS } from '../../../src/criu/unmovable/rules.js';
import { planTermination } from '../../../src/criu/unmovable/terminate.js';
import type { LiveReport } from '../../../src/criu/unmovable/walk.js';

interface Expect {
  kind: string;
  why: string;
  hardware?: true;
  flags?: string[];
}
const load = <T>(name: string) => (JSON.parse(fs.readFileSync(new URL(`cases/${name}`, import.meta.url), 'utf8')) as { rows: T[] }).rows;
const fdRows = load<{ why: string; fd: FdFacts; ownNetns?: boolean; criuArgs?: string[]; expect: Expect | null }>('classify-fds.json');
const mapRows = load<{ why: string; map: MapFacts; expect: Expect | null }>('classify-maps.json');

function check(found: Finding | undefined, expected: Expect | null): void {
  if (expected === null) return expect(found).toBeUndefined();
  expect(found).toBeDefined();
  expect(found!.kind).toBe(expected.kind);
  expect(found!.why).toContain(expected.why);
  expect(found!.hardware).toBe(expected.hardware);
  expect(found!.flags).toEqual(expected.flags);
  expect(found!.pid).toBe(42);
}

describe('classifyFd', () => {
  it.each(fdRows)('$why', (row) => {
    check(classifyFd(42, row.fd, { ownNetns: row.ownNetns ?? false, criuArgs: row.criuArgs ?? [] }), row.expect);
  });
});

describe('classifyMapping', () => {
  it.each(mapRows)('$why', (row) => check(classifyMapping(42, row.map), row.expect));
});

describe('the tables', () => {
  it('no anonymous-inode kind is both dumped by CRIU and given a reason it cannot move', () => {
    for (const r of ANON_REASONS) expect(CRIU_ANON_DUMPERS, r.name).not.toContain(r.name);
    expect(new Set(ANON_REASONS.map((r) => r.name)).size).toBe(ANON_REASONS.length);
  });
  it('device classes compile and every subsystem has a catch-all after its specific rows', () => {
    for (const c of DEVICE_CLASSES) {
      if (c.name) expect(() => new RegExp(c.name!)).not.toThrow();
      if (c.driver) expect(() => new RegExp(c.driver!)).not.toThrow();
    }
    for (const sub of ['misc', 'tty']) {
      const rows = DEVICE_CLASSES.filter((c) => c.subsystem === sub);
      expect(rows.at(-1)?.name ?? rows.at(-1)?.driver).toBeUndefined();
    }
  });
  it('every kind a finding can have is documented once', () => {
    const kinds = UNMOVABLE_KINDS.map((k) => k.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    const found = [...fdRows.map((r) => r.expect?.kind), ...mapRows.map((r) => r.expect?.kind)].filter((k) => k !== undefined);
    for (const k of found) expect(kinds).toContain(k);
  });
});

describe('classifyNamespaces', () => {
  const own = { net: '1', ipc: '2', uts: '3', pid: '4' };
  it('the tree in cr-shim\'s namespaces: nothing', () => {
    expect(classifyNamespaces({ root: 10, own, tasks: new Map([[10, own], [11, own]]), outside: new Map() })).toEqual([]);
  });
  it('a network namespace of the tree\'s own that a process outside shares', () => {
    const tree = { ...own, net: '9' };
    const out = classifyNamespaces({ root: 10, own, tasks: new Map([[10, tree]]), outside: new Map([['9', [{ pid: 77, comm: 'ip' }]]]) });
    expect(out).toEqual([expect.objectContaining({ pid: 10, kind: 'namespace', what: 'net namespace 9' })]);
    expect(out[0]!.why).toContain('77 (ip) outside the tree');
  });
  it('a network namespace of the tree\'s own that nobody outside shares: CRIU takes it along', () => {
    expect(classifyNamespaces({ root: 10, own, tasks: new Map([[10, { ...own, net: '9' }]]), outside: new Map() })).toEqual([]);
  });
  it('a nested UTS namespace inside the tree is refused; a nested network namespace is not', () => {
    const out = classifyNamespaces({ root: 10, own, tasks: new Map([[10, own], [11, { ...own, uts: '8', net: '7' }]]), outside: new Map() });
    expect(out.map((f) => [f.pid, f.what])).toEqual([[11, 'uts namespace 8']]);
  });
});

describe('planTermination', () => {
  const report: LiveReport = {
    root: 1000,
    tasks: [
      { pid: 1000, ppid: 1, comm: 'root', threads: 1 },
      { pid: 1001, ppid: 1000, comm: 'perf', threads: 1 },
      { pid: 1002, ppid: 1000, comm: 'gpu', threads: 2 },
      { pid: 1003, ppid: 1002, comm: 'worker', threads: 1 },
      { pid: 1004, ppid: 1000, comm: 'plain', threads: 1 },
    ],
    findings: [
      { pid: 1001, kind: 'anon-inode', what: 'fd 3: anon_inode:[perf_event]', why: 'x' },
      { pid: 1002, kind: 'device', what: 'fd 4: /dev/dri/card0', why: 'y', hardware: true },
    ],
  };
  it('says what it does to parents and children before any signal', () => {
    const plan = planTermination(report, 2500);
    expect(plan.targets.map((t) => t.pid)).toEqual([1001, 1002]);
    expect(plan.orphans.map((t) => t.pid)).toEqual([1003]);
    expect(plan.effects[0]).toBe('SIGTERM to 1001 (perf), 1002 (gpu); SIGKILL to whichever is still there after 2.5 s.');
    expect(plan.effects[1]).toMatch(/^1000 \(root\), parent of 1001, 1002, gets SIGCHLD; each child stays a zombie until it is reaped, and is dumped as one\.$/);
    expect(plan.effects[2]).toMatch(/^1003 \(worker\), children of terminated tasks, are reparented .* leave it, are not dumped, and keep running\.$/);
  });
  it('refuses when the root itself holds what cannot move', () => {
    expect(() => planTermination({ ...report, findings: [{ pid: 1000, kind: 'device', what: 'fd 3: /dev/fuse', why: 'z' }] }, 1000)).toThrow(/root 1000 \(root\) itself holds state that cannot move/);
  });
});
