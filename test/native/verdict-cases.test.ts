// The shared native-verdict cases (test/mechanisms/cases/verdicts.json) through
// both C interpreters on the real kernel: the notify loop (a listener, verdicts
// pushed down with setActions, deferred calls answered from a recv worker; and
// again through their binary form, encodeActions then setEncodedActions, as the
// native front publishes them from the session cache) and the SIGSYS library
// (its config line from src/mechanisms/sigsys/config.ts).
// The TypeScript interpreter replays the same rows in test/mechanisms/native-verdict.unit.test.ts.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { buildOutput, loadAddon } from '../../src/native/addon.js';
import { launchUnderFilter } from '../../src/native/launcher.js';
import { verdictLine } from '../../src/mechanisms/sigsys/config.js';
import type { Persona } from '../../src/persona/types.js';
import { describeCase, VERDICT_CASES, verdictOf, type Outcome, type VerdictCase } from '../mechanisms/verdict-cases.js';
import { insn, notifyFilter, RecvWorker } from './fixtures/harness.js';

/** chdir on x86_64: a call with a path argument that the dynamic loader and libc never make at start. */
const NR_CHDIR = 80;
/** What the test answers a deferred call with, standing in for a TypeScript handler: EXDEV. */
const DEFERRED_ERRNO = 18;
const SECCOMP_RET_TRAP = 0x00030000;

let program: string;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-shim-verdicts-'));
  program = join(dir, 'verdict-call');
  execFileSync('gcc', ['-O2', '-Wall', '-o', program, fileURLToPath(new URL('./fixtures/verdict-call.c', import.meta.url))]);
});

const memArg = (c: VerdictCase): string => c.mem ?? '-';

/** What verdict-call prints for an outcome; `asked` is its line with nothing trapped (the kernel's own answer). */
function expectedLine(o: Outcome, c: VerdictCase, asked: string): string {
  const buf = c.mem ?? '';
  if (o === 'continue') return asked;
  if (o === 'defer') return `ret=-1 errno=${DEFERRED_ERRNO} buf=${buf}`;
  if ('errno' in o) return `ret=-1 errno=${o.errno} buf=${buf}`;
  return `ret=${o.return} errno=0 buf=${o.written}`;
}

function unfiltered(c: VerdictCase): string {
  return execFileSync(program, [String(NR_CHDIR), memArg(c)], { encoding: 'utf8' }).trim();
}

/** How the verdicts reach the loop: parsed from NativeAction objects, or decoded from what encodeActions made of them. */
type Publish = 'setActions' | 'encoded';

async function underNotify(c: VerdictCase, publish: Publish = 'setActions'): Promise<string> {
  const addon = loadAddon();
  const actions = [{ ...verdictOf(c), nr: NR_CHDIR }];
  let handle = -1;
  const { child, exec } = await launchUnderFilter(program, [String(NR_CHDIR), memArg(c)], notifyFilter([NR_CHDIR]), {
    stdio: ['ignore', 'pipe', 'inherit'],
    beforeExec: (fd) => {
      handle = addon.open(fd);
      if (publish === 'setActions') addon.setActions(handle, AUDIT_ARCH.x86_64, actions);
      else addon.setEncodedActions(handle, addon.encodeActions(AUDIT_ARCH.x86_64, actions));
    },
  });
  const worker = new RecvWorker(handle);
  try {
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const closed = Promise.all([child.exited, new Promise<void>((resolve) => child.stdout!.on('close', () => resolve()))]);
    expect(await exec).toBeNull();
    for (let n = await worker.next(); n !== null; n = await worker.next()) addon.respond(n.handle, n.id, 0n, DEFERRED_ERRNO, 0);
    await closed;
    return stdout.trim();
  } finally {
    addon.close(handle);
    await worker.terminate();
  }
}

/** The x86_64 calls in nrs return SECCOMP_RET_TRAP, everything else is allowed (the layout of notifyFilter). */
function trapFilter(nr: number): Buffer {
  const f = notifyFilter([nr]);
  const last = (f.length / 8 - 1) * 8;
  return Buffer.concat([f.subarray(0, last), insn(0x06, 0, 0, SECCOMP_RET_TRAP)]);
}

async function underSigsys(c: VerdictCase): Promise<string> {
  const line = verdictLine(NR_CHDIR, 'chdir', verdictOf(c), {} as Persona);
  if (line === undefined) throw new Error(`no sigsys config line for ${c.verdict.kind}`);
  const config = join(dir, `config-${Math.random().toString(36).slice(2)}`);
  writeFileSync(config, `filter ${trapFilter(NR_CHDIR).toString('hex')}\n${line}\n`);
  const child = spawn(program, [String(NR_CHDIR), memArg(c)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LD_PRELOAD: buildOutput('cr_shim_sigsys.so'), CR_SHIM_SIGSYS: config },
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  return stdout.trim();
}

const rows = VERDICT_CASES.apply.map((c) => [describeCase(c), c] as const);

describe('native verdicts: the notify loop answers the shared cases', () => {
  it.each(rows)('%s', async (_, c) => {
    expect(await underNotify(c)).toBe(expectedLine(c.outcome, c, unfiltered(c)));
  });
});

describe('native verdicts: the notify loop answers the shared cases from their binary form (encodeActions, setEncodedActions)', () => {
  it.each(rows)('%s', async (_, c) => {
    expect(await underNotify(c, 'encoded')).toBe(expectedLine(c.outcome, c, unfiltered(c)));
  });
});

describe('native verdicts: the SIGSYS library answers the shared cases', () => {
  it.each(rows)('%s', async (_, c) => {
    expect(await underSigsys(c)).toBe(expectedLine(c.sigsys ?? c.outcome, c, unfiltered(c)));
  });
});
