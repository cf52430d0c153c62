/**
 * `npm run test:unit` runs the `*.unit.test.ts` files: pure code only, so they pass
 * without root, kernel features, CRIU or a built addon. A unit test, and every test
 * helper it reaches, may not start a program, load the native addon or read the
 * host's /proc; a test that needs any of that is a system test (`*.test.ts`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, resolveLocal, tsFilesUnder } from '../helpers/imports.js';

const TEST_DIR = path.resolve(import.meta.dirname, '..');
const SRC_DIR = path.resolve(TEST_DIR, '..', 'src');

/** What makes a test need more than pure code, as [specifier or path pattern, why]. */
const FORBIDDEN: [RegExp, string][] = [
  [/^(node:)?child_process$/, 'starts programs'],
  [/^(node:)?worker_threads$/, 'starts threads'],
  // addon-types.ts is the addon's contract (types and the verdict kinds as constants): it loads nothing.
  [new RegExp(`^${SRC_DIR}/native/(addon|launcher)\\.ts$`), 'loads the native addon'],
  [new RegExp(`^${TEST_DIR}/helpers/(run-cli|run-process|programs|require-build|host-ia32)\\.ts$`), 'runs built programs'],
  [new RegExp(`^${TEST_DIR}/native/fixtures/`), 'drives the native addon'],
];
const HOST_PROC = /['"`]\/proc\//;

/** Every test-side file a unit test reaches through relative imports (src/ is not followed). */
function reach(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
    const target = resolveLocal(file, spec);
    if (target !== undefined && target.startsWith(TEST_DIR + path.sep)) reach(target, seen);
  }
  return seen;
}

function problems(unitTest: string): string[] {
  const out: string[] = [];
  for (const file of reach(unitTest)) {
    const source = fs.readFileSync(file, 'utf8');
    const where = path.relative(TEST_DIR, file);
    if (HOST_PROC.test(source)) out.push(`${where} reads the host's /proc`);
    for (const spec of importsOf(source)) {
      const target = resolveLocal(file, spec) ?? spec;
      for (const [pattern, why] of FORBIDDEN) if (pattern.test(target)) out.push(`${where} imports ${spec}: ${why}`);
    }
  }
  return out;
}

const unitTests = tsFilesUnder(TEST_DIR).filter((f) => f.endsWith('.unit.test.ts'));

describe('unit tests', () => {
  it('exist, and cover the pure modules (more than half the test files)', () => {
    const all = tsFilesUnder(TEST_DIR).filter((f) => f.endsWith('.test.ts'));
    expect(unitTests.length).toBeGreaterThan(all.length / 2);
  });

  it.each(unitTests.map((f) => [path.relative(TEST_DIR, f)]))('%s needs nothing but pure code', (rel) => {
    expect(problems(path.join(TEST_DIR, rel))).toEqual([]);
  });

  it('the guard itself sees a program being started', () => {
    expect(problems(path.join(TEST_DIR, 'cli', 'run.test.ts'))).toContainEqual(expect.stringMatching(/imports .*run-cli\.js: runs built programs/));
  });
});
