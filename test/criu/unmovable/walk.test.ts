/**
 * The live walk on real processes for what CRIU would dump without complaint but whose
 * sharing a restore cannot keep: shared anonymous memory mapped inside and outside the tree.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childrenOf } from '../../../src/host/proc-tree.js';
import { walkTree } from '../../../src/criu/unmovable/walk.js';
import { killQuietly, startToFile, tempDir } from '../helpers/images.js';
import { parseOutput } from '../../helpers/parse-output.js';
import { programPath } from '../../helpers/programs.js';

const work = tempDir('walk');
const started: number[] = [];
afterAll(() => {
  for (const pid of started) killQuietly(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

describe('shared memory', () => {
  it('is reported when a process outside the tree maps it, and not when the whole sharing is inside', async () => {
    const s = await startToFile([programPath('holders'), 'shm'], path.join(work, 'shm.out'));
    started.push(s.pid);
    const child = Number(parseOutput(s.output().slice(0, s.output().indexOf('ready=1')), { partial: true }).get('child.0.pid'));
    const [grandchild] = childrenOf(child);
    expect(grandchild).toBeDefined();

    const outside = walkTree(grandchild!, []);
    expect(outside.findings).toHaveLength(1);
    expect(outside.findings[0]).toMatchObject({ pid: grandchild, kind: 'shared-memory' });
    expect(outside.findings[0]!.what).toMatch(/^mapping [0-9a-f]+-[0-9a-f]+ \/dev\/zero \(deleted\)$/);
    expect(outside.findings[0]!.why).toContain(`also mapped by ${child} (holders) outside the tree`);

    expect(walkTree(child, []).findings).toEqual([]);
  }, 60_000);
});

describe('namespaces', () => {
  it('a network namespace of the tree\'s own is reported once a process outside the tree enters it', async () => {
    const { spawn } = await import('node:child_process');
    const start = (argv: string[]) => {
      const c = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true });
      started.push(c.pid!);
      return c.pid!;
    };
    const root = start(['unshare', '--net', '--', 'sleep', '120']);
    // unshare execs sleep once the namespace is made: wait until the root is no longer in ours.
    const netOf = (pid: number) => fs.readlinkSync(`/proc/${pid}/ns/net`);
    const deadline = Date.now() + 20_000;
    while (netOf(root) === netOf(process.pid) || !fs.readFileSync(`/proc/${root}/comm`, 'utf8').startsWith('sleep')) {
      if (Date.now() > deadline) throw new Error('unshare --net did not make a namespace');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(walkTree(root, []).findings).toEqual([]);

    const visitor = start(['nsenter', '--net=/proc/' + root + '/ns/net', '--', 'sleep', '120']);
    while (netOf(visitor) !== netOf(root) || !fs.readFileSync(`/proc/${visitor}/comm`, 'utf8').startsWith('sleep')) {
      if (Date.now() > deadline) throw new Error('nsenter did not enter the namespace');
      await new Promise((r) => setTimeout(r, 20));
    }
    const found = walkTree(root, []).findings;
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ pid: root, kind: 'namespace', what: `net namespace ${/\[(\d+)\]/.exec(netOf(root))![1]}` });
    expect(found[0]!.why).toContain(`${visitor} (sleep) outside the tree`);
  }, 60_000);
});
