/**
 * The rules in src/criu/unmovable/rules.ts checked against CRIU itself: for each kind of
 * state (cases/criu-agrees.json), a child holding it is walked as `cr-shim dump` walks a
 * tree, and dumped by the real criu (--leave-running, into a scratch directory). The walk
 * must call movable exactly what criu dumps, and criu's refusal must be the one the
 * finding explains.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CriuBinary } from '../../../src/criu/binary.js';
import { CriuError, runCriu } from '../../../src/criu/run-criu.js';
import { walkTree } from '../../../src/criu/unmovable/walk.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../helpers/criu.js';
import { pickDevice } from '../helpers/device-node.js';
import { killQuietly, startToFile, tempDir } from '../helpers/images.js';
import { parseOutput } from '../../helpers/parse-output.js';
import { programPath } from '../../helpers/programs.js';

interface Row {
  kind: string;
  criuArgs: string[];
  finding: string;
  criuSays?: string;
}
const DEVICE = pickDevice();
const work = tempDir('criu-agrees');
const UNIX = path.join(work, 'listener.sock');
const rows = (JSON.parse(fs.readFileSync(new URL('cases/criu-agrees.json', import.meta.url), 'utf8')) as { rows: Row[] }).rows.map((r) => ({
  ...r,
  label: r.kind,
  kind: r.kind.replace('{device}', DEVICE).replace('{unix}', UNIX),
}));

const started: number[] = [];
let criu: CriuBinary;
// The outside end of the unix rows' connections: held by this test process.
const held: net.Socket[] = [];
const server = net.createServer((c) => held.push(c));

beforeAll(async () => {
  criu = await ensureCriu();
  await new Promise<void>((resolve) => server.listen(UNIX, resolve));
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  for (const c of held) c.destroy();
  server.close();
  for (const pid of started) killQuietly(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

describe('the walk and criu dump agree', () => {
  it.each(rows)('$label $criuArgs: $finding', async (row) => {
    const name = `${rows.indexOf(row)}`;
    const accepted = held.length;
    const s = await startToFile([programPath('holders'), row.kind], path.join(work, `${name}.out`));
    started.push(s.pid);
    const child = Number(parseOutput(s.output().slice(0, s.output().indexOf('ready=1')), { partial: true }).get('child.0.pid'));
    started.push(child);

    // Until this process accepts, the child's peer is an embryo in the listener's queue, with no
    // inode (sock_diag reports peer 0): wait for the accept, so the walk sees the real peer.
    if (row.kind.includes(UNIX)) await expect.poll(() => held.length, { timeout: 10_000 }).toBeGreaterThan(accepted);
    const findings = walkTree(child, row.criuArgs).findings;
    expect([...new Set(findings.map((f) => f.kind))]).toEqual(row.finding === 'movable' ? [] : [row.finding]);

    const img = path.join(work, `img-${name}`);
    fs.mkdirSync(img);
    // The child is not its session's leader: --shell-job, as for any subtree.
    const dumped = await runCriu(criu.path, 'dump', ['-t', String(child), '-D', img, '--leave-running', '--shell-job', ...row.criuArgs], { timeoutMs: 60_000 }).then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof CriuError)) throw err;
        return err;
      },
    );
    if (row.finding === 'movable') {
      expect(dumped?.message, dumped?.errors.join('\n')).toBeUndefined();
    } else {
      expect(dumped, 'criu dumped what the walk calls unmovable').toBeDefined();
      expect(dumped!.errors.join('\n')).toMatch(new RegExp(row.criuSays!));
    }
    // --leave-running: the child is still there and running.
    expect(fs.readFileSync(`/proc/${child}/status`, 'utf8')).toMatch(/^State:\s+[RS]/m);
  }, 90_000);
});
