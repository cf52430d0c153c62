/**
 * Text from files reaches the terminal escaped on every path, not only in error lines: the
 * manifest's record of what a dump left behind (printed by check and again by restore) and the
 * image's task names (core-TID.img: a process picks its own comm with PR_SET_NAME). Each case
 * is a synthetic image whose fields carry an escape sequence and a newline; every line printed
 * must be free of control characters and show them as \x1b and \n.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/criu/manifest.js';
import { tempDir } from '../criu/helpers/images.js';
import { writeSyntheticImage } from '../criu/helpers/synthetic-image.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';

const HOSTILE = 'evil\x1b[31mRED\nsecond line\x07';
const SHOWN = 'evil\\x1b[31mRED\\nsecond line\\x07';
const leftBehind: NonNullable<Manifest['leftBehind']> = {
  terminated: [{ pid: 4242, comm: HOSTILE, signal: 'SIGTERM', findings: [{ kind: 'device', what: `fd 3 ${HOSTILE}`, why: HOSTILE }] }],
  leftTree: [{ pid: 4343, comm: HOSTILE }],
};

const dir = tempDir('escaped');
const img = path.join(dir, 'img');
/** A line cr-shim printed holds no C0 control character but its final newline, no DEL and no C1. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function expectEscapedLines(text: string): void {
  for (const line of text.split('\n')) expect(line, JSON.stringify(line)).not.toMatch(CONTROL);
}

beforeAll(() => {
  requireShimBuilt();
  // criu 99.0 wrote it: restore prints the left-behind notices, then refuses before restoring anything.
  writeSyntheticImage(img, { processes: [{ pid: 4141, threads: [{ tid: 4141, caps: 0n }] }], filters: [], manifest: {
      leftBehind,
      criu: { version: '99.0' },
      kernel: { release: `6.1.0-${HOSTILE}`, version: HOSTILE, mainline: '6.1' },
      persona: { release: '4.19', mainline: '4.19' },
    },
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('text from an image is printed escaped', () => {
  it('check: the manifest\'s kernel and the left-behind warnings', async () => {
    const r = await runCli(['check', img]);
    expect(r.status, describeResult(r)).toBe(1);
    expectEscapedLines(r.stdout);
    expect(r.stdout).toContain(`PID 4242 (${SHOWN})`);
    expect(r.stdout).toContain(`4343 (${SHOWN})`);
    expect(r.stdout).toContain(`dumped on 6.1.0-${SHOWN})`);
  });

  it('restore: the left-behind notices before it refuses', async () => {
    const r = await runCli(['restore', img]);
    expect(r.status, describeResult(r)).toBe(125);
    expectEscapedLines(r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^cr-shim: /);
    expect(r.stderr).toContain(`PID 4242 (${SHOWN}), ended by SIGTERM, held fd 3 ${SHOWN}`);
    expect(lines.at(-1)).toMatch(/criu 99\.0/);
  });
});
