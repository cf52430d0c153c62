/**
 * `cr-shim bench` end to end, on real processes: one small round in one thread.
 * No timing is asserted: the test checks the output's shape and that every
 * target (native, BPF-only, the three mechanisms, proot -k, gVisor) produced a
 * number for every scenario. CI installs proot and runsc (scripts/setup.sh), so
 * none of them may be missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import type { BenchReport } from '../../src/bench/types.js';

const TARGETS = ['native', 'bpf-only', 'notify', 'ptrace', 'sigsys', 'proot', 'runsc'];
const SCENARIOS = ['left-alone', 'refused', 'fake', 'translated'];
/** --goals runs every scenario, the matrix's and the ones only a goal needs. */
const GOAL_SCENARIOS = ['left-alone', 'refused', 'arg-refused', 'fake', 'translated', 'startup'];

beforeAll(() => requireShimBuilt());

describe('cr-shim bench', () => {
  it('times every scenario under every target, and writes the table, JSON and SVG', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-bench-test-'));
    const json = path.join(dir, 'bench.json');
    const svg = path.join(dir, 'bench.svg');
    const r = await runCli(['bench', '--quiet', '--threads', '1', '--calls', '200', '--rounds', '1', '--json', json, '--svg', svg], { timeoutMs: 140_000 });
    expect(r.status, describeResult(r)).toBe(0);

    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as BenchReport;
    expect(report.tool).toBe('cr-shim bench');
    expect(report.goals, 'the matrix view judges no goals').toBeUndefined();
    expect(report.targets.filter((t) => t.unavailable !== undefined)).toEqual([]);
    expect(report.scenarios.map((s) => s.id)).toEqual(SCENARIOS);
    for (const s of SCENARIOS) {
      for (const t of TARGETS) {
        const cell = report.cells.find((c) => c.scenario === s && c.target === t && c.threads === 1);
        expect(cell, `${t} ${s}`).toBeDefined();
        expect(cell!.samples).toHaveLength(1);
        expect(cell!.summary.median, `${t} ${s}`).toBeGreaterThan(0);
      }
    }

    const lines = r.stdout.trim().split('\n');
    expect(lines[1]!.split(/\s+/)).toEqual(['scenario', 'threads', ...TARGETS]);
    expect(lines).toHaveLength(2 + SCENARIOS.length);
    for (const l of lines.slice(2)) expect(l).not.toContain('—');

    const chart = fs.readFileSync(svg, 'utf8');
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(chart.trimEnd().endsWith('</svg>')).toBe(true);
    // One bar per cell, plus the background and one legend swatch per target.
    expect(chart.match(/<rect /g)).toHaveLength(1 + SCENARIOS.length * TARGETS.length + TARGETS.length);
    // 28 short runs one after another (gVisor's start-up alone is about 1 s each): longer than the default test timeout.
  }, 150_000);

  it('--goals judges issue 2\'s goals on the same run and writes the whole document', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-bench-test-'));
    const json = path.join(dir, 'bench.json');
    const doc = path.join(dir, 'PERFORMANCE.md');
    const r = await runCli(
      ['bench', '--goals', '--quiet', '--threads', '1', '--calls', '200', '--rounds', '1', '--extras', 'none',
        '--target', 'native', '--target', 'bpf-only', '--target', 'c-supervisor', '--target', 'node', '--target', 'notify', '--json', json, '--doc', doc, '--note', 'a test run'],
      { timeoutMs: 100_000 },
    );
    expect(r.status, describeResult(r)).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as BenchReport;
    expect(report.scenarios.map((s) => s.id)).toEqual(GOAL_SCENARIOS);
    // Every goal but memory compares two cells of this run; none is left unmeasured.
    expect(report.goals!.filter((g) => g.verdict === 'N/A')).toEqual([]);
    expect(report.goals!.find((g) => g.goal.id === 'translated')).toMatchObject({ goal: { target: 'notify', baseline: 'c-supervisor' } });
    const text = fs.readFileSync(doc, 'utf8');
    expect(text.startsWith('# Performance\n')).toBe(true);
    // The chart the document links sits beside it (the JSON went where --json said).
    expect(fs.readFileSync(path.join(dir, 'mechanisms-bench.svg'), 'utf8')).toMatch(/^<svg /);
    expect(fs.existsSync(path.join(dir, 'mechanisms-bench.json'))).toBe(false);
    expect(text).toContain('**About this run:** a test run');
    expect(text).toMatch(/\| \*\*translated\*\*.*\| \*\*(met|missed)( \(within noise\))?\*\* \|/);
    // Re-rendered from the saved JSON: the same document.
    const again = path.join(dir, 'again.md');
    expect((await runCli(['bench', '--quiet', '--render', json, '--doc', again])).status).toBe(0);
    expect(fs.readFileSync(again, 'utf8')).toBe(text);
  }, 110_000);

  it('a bad --threads list is a one-line usage error', async () => {
    const r = await runCli(['bench', '--threads', '1,x']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--threads 1,x: not a list of thread counts/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
