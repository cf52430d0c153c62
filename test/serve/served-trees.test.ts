// The service's one kill path: a tree (and what it forked) dies, its loop is stopped, it is forgotten.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ServedTrees } from '../../src/serve/served-trees.js';

async function gone(pid: number): Promise<boolean> {
  const end = Date.now() + 10_000;
  for (;;) {
    let state: string | undefined;
    try {
      state = /^State:\s*(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    } catch {
      return true;
    }
    if (state === 'Z') return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ServedTrees', () => {
  it('kill: SIGKILLs every recorded process and its descendants, stops the loop once, forgets the tree', async () => {
    // sh forks a sleep: the descendant is found when killing, not recorded.
    const root = spawn('sh', ['-c', 'sleep 1000 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const child = Number(await new Promise<string>((r) => root.stdout!.once('data', (b: Buffer) => r(b.toString().trim()))));
    const trees = new ServedTrees();
    let stops = 0;
    trees.add('t1', async () => void stops++);
    trees.addProcess('t1', root.pid!);
    expect(trees.processes('t1')).toEqual([root.pid]);
    await trees.kill('t1');
    expect(await gone(root.pid!)).toBe(true);
    expect(await gone(child)).toBe(true);
    expect({ stops, has: trees.has('t1'), size: trees.size }).toEqual({ stops: 1, has: false, size: 0 });
    await trees.kill('t1');
    expect(stops).toBe(1);
  });

  it('remove forgets a tree without touching it; killAll kills the rest', async () => {
    const a = spawn('sleep', ['1000']);
    const b = spawn('sleep', ['1000']);
    try {
      const trees = new ServedTrees();
      trees.add('a', async () => undefined);
      trees.add('b', async () => undefined);
      trees.addProcess('a', a.pid!);
      trees.addProcess('b', b.pid!);
      trees.remove('a');
      await trees.killAll();
      expect(await gone(b.pid!)).toBe(true);
      expect(a.exitCode).toBe(null);
      expect(a.signalCode).toBe(null);
    } finally {
      a.kill('SIGKILL');
      b.kill('SIGKILL');
    }
  });
});
