/**
 * Cross-kernel restore, end to end: for each Debian kernel (bullseye 5.10, bookworm 6.1, trixie
 * 6.12) boot it under qemu, run cr-subject there (dynamic, static, multi-threaded), dump each
 * with the distribution's own criu (bullseye ships none: bookworm's 3.17 runs on 5.10), bring
 * the images here, write their manifest, and restore each twice: under `cr-shim restore` (the
 * program must go on counting and still see the guest's uname, /proc/version and
 * lookup_dcookie errno) and with plain criu after `cr-shim convert` (it sees this host's).
 *
 *   npx tsx scripts/oracle/xrestore.ts [--suite S]... [--fresh] [--no-write]
 *
 * Guest results are cached in .cache/oracle/xrestore/ by kernel package and initramfs bytes;
 * --fresh boots again. Run `npm run build` first: the host side runs bin/cr-shim.js (dist/).
 * Writes the "Cross-kernel restore" section of docs/FIDELITY.md (between its markers).
 * Exit status: 0 every check passed, 1 some failed, 2 the harness itself failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShimError } from '../../src/errors.js';
import { crShimVersion, writeManifest, type Manifest } from '../../src/criu/manifest.js';
import { fetchDebianCriu } from '../../src/oracle/criu-fetch.js';
import { buildInitramfs } from '../../src/oracle/initramfs.js';
import { fetchDebianKernel } from '../../src/oracle/kernel-fetch.js';
import { guestModules, kernelDebFile } from '../../src/oracle/kernel-modules.js';
import { bootAndCollect } from '../../src/oracle/qemu.js';
import { criuBundle, freePidWindow, guestScript, xcases, XK_DIR, type XCase } from '../../src/oracle/xrestore-guest.js';
import { renderXrestore, spliceSection, type XRow } from '../../src/oracle/xrestore-report.js';
import { mainlineOf } from '../../src/tables/release.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = path.join(ROOT, '.cache', 'oracle');
const WORK = path.join(CACHE, 'xrestore');
/** Kernel suite -> the suite whose criu dumps there (bullseye main has no criu package). */
const SUITES: readonly { suite: string; criuSuite: string }[] = [
  { suite: 'bullseye', criuSuite: 'bookworm' },
  { suite: 'bookworm', criuSuite: 'bookworm' },
  { suite: 'trixie', criuSuite: 'trixie' },
];
/** What criu's nftables probe needs in the guest; crc32c_generic backs libcrc32c (nothing loads it on demand there). */
const GUEST_MODULES = ['crc32c_generic', 'nf_tables'];
const BOOT_TIMEOUT_MS = 600_000;
const CLI = path.join(ROOT, 'bin', 'cr-shim.js');
const HOST_CRIU = path.join(ROOT, '.cache', 'criu-root', 'criu');

function log(line: string): void {
  process.stderr.write(`xrestore: ${line}\n`);
}

/** The dynamic subject as `make -C test/programs` builds it, and a -static build of the same source. */
function buildSubjects(): { dynamic: string; static: string } {
  const make = spawnSync('make', ['-s', '-C', path.join(ROOT, 'test', 'programs'), 'bin/cr-subject'], { encoding: 'utf8' });
  if (make.status !== 0) throw new ShimError('xrestore build cr-subject', `make failed: ${make.stderr.trim()}`, { code: 'EIO', hint: 'bash scripts/setup.sh installs the compiler' });
  const src = path.join(ROOT, 'test', 'programs', 'cr-subject.c');
  const bin = path.join(WORK, 'cr-subject-static');
  const newest = Math.max(...[src, path.join(ROOT, 'test', 'programs', 'kv.h')].map((f) => fs.statSync(f).mtimeMs));
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < newest) {
    fs.mkdirSync(WORK, { recursive: true });
    const r = spawnSync('gcc', ['-static', '-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-D_GNU_SOURCE', '-pthread', '-o', bin, src, '-pthread'], { encoding: 'utf8' });
    if (r.status !== 0) throw new ShimError('xrestore build cr-subject-static', `gcc -static ${src} failed: ${r.stderr.trim()}`, { code: 'EIO', hint: 'bash scripts/oracle/setup.sh installs static glibc' });
  }
  return { dynamic: path.join(ROOT, 'test', 'programs', 'bin', 'cr-subject'), static: bin };
}

function readText(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
}

function parseReport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

function counterOf(progress: string): number | undefined {
  const m = /^counter=(\d+)$/m.exec(progress);
  return m ? Number(m[1]) : undefined;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** XK_DIR as it was in the guest at the dump: the programs (same bytes) and the case's progress file. */
function stageHostFiles(subjects: { dynamic: string; static: string }, guestCase: string, c: XCase): string {
  const dir = path.join(XK_DIR, c.name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(XK_DIR, 'bin'), { recursive: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, src] of [['cr-subject', subjects.dynamic], ['cr-subject-static', subjects.static]] as const) {
    const dst = path.join(XK_DIR, 'bin', name);
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, 0o755);
  }
  fs.copyFileSync(path.join(guestCase, 'state.progress'), path.join(dir, 'state.progress'));
  return path.join(dir, 'state');
}

/** PIDs of the dump that are taken here (CRIU would fail with EEXIST on them). */
function busyPids(c: XCase): number[] {
  const want = c.mode === 'threads' ? [0, 1, 2, 3, 4].map((i) => c.pid + i) : [c.pid];
  return want.filter((p) => fs.existsSync(`/proc/${p}`));
}

interface Restored {
  ok: boolean;
  report: Record<string, string>;
  progressed: boolean;
  detail: string;
}

/** After a restore started: wait for the counter to move past the dump's, ask for the report, wait for it. */
async function driveRestored(state: string, dumpedCounter: number, done: () => boolean): Promise<Omit<Restored, 'ok' | 'detail'> & { why?: string }> {
  let progressed = false;
  for (let i = 0; i < 200 && !done(); i++) {
    const c = counterOf(readText(`${state}.progress`));
    if (c !== undefined && c > dumpedCounter) {
      progressed = true;
      break;
    }
    await sleep(50);
  }
  fs.writeFileSync(`${state}.go`, '');
  for (let i = 0; i < 200 && !fs.existsSync(state); i++) await sleep(50);
  if (!fs.existsSync(state)) return { report: {}, progressed, why: 'no report within 10 s' };
  return { report: parseReport(fs.readFileSync(state, 'utf8')), progressed };
}

async function restoreUnderShim(img: string, state: string, dumpedCounter: number): Promise<Restored> {
  const child = spawn(process.execPath, [CLI, 'restore', '--quiet', img], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exit: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => ((exit = code), resolve())));
  const r = await driveRestored(state, dumpedCounter, () => exit !== undefined);
  const timer = setTimeout(() => child.kill('SIGTERM'), 10_000);
  await exited;
  clearTimeout(timer);
  const ok = exit === 42 && r.why === undefined;
  return { ok, report: r.report, progressed: r.progressed, detail: ok ? '' : `cr-shim restore exited ${String(exit)}${r.why ? `, ${r.why}` : ''}: ${stderr.trim().split('\n').pop() ?? ''}` };
}

/** Plain criu restore (-d) of `cr-shim convert`'s output: what the program sees without the shim. */
async function restorePlain(img: string, state: string, dumpedCounter: number): Promise<Restored> {
  const converted = `${img}-converted`;
  fs.rmSync(converted, { recursive: true, force: true });
  const conv = spawnSync(process.execPath, [CLI, 'convert', img, converted], { encoding: 'utf8' });
  if (conv.status !== 0) return { ok: false, report: {}, progressed: false, detail: `cr-shim convert exited ${String(conv.status)}: ${conv.stderr.trim()}` };
  const r0 = spawnSync(HOST_CRIU, ['restore', '-d', '-D', converted, '-o', 'restore.log', '-v4'], { encoding: 'utf8' });
  if (r0.status !== 0) {
    const logTail = readText(path.join(converted, 'restore.log')).split('\n').filter((l) => /Error|error/.test(l)).slice(-2).join(' | ');
    return { ok: false, report: {}, progressed: false, detail: `criu restore exited ${String(r0.status)}: ${logTail}` };
  }
  const r = await driveRestored(state, dumpedCounter, () => false);
  return { ok: r.why === undefined, report: r.report, progressed: r.progressed, detail: r.why ?? '' };
}

interface GuestOut {
  dir: string;
  release: string;
  version: string;
  procVersion: string;
  criuVersion: string;
  accel: string;
  bootSeconds: number | undefined;
  cached: boolean;
}

async function runGuest(suite: string, criuSuite: string, subjects: { dynamic: string; static: string }, cases: readonly XCase[], fresh: boolean): Promise<GuestOut> {
  const kernel = fetchDebianKernel(suite, CACHE);
  const criu = fetchDebianCriu(criuSuite, CACHE);
  log(`${suite}: ${kernel.package} ${kernel.packageVersion}, criu ${criu.packageVersion} from ${criuSuite}`);
  const dir = path.join(WORK, kernel.release);
  fs.mkdirSync(dir, { recursive: true });
  const tar = path.join(dir, 'criu.tar');
  criuBundle(criu, tar);
  const debs = path.join(CACHE, 'apt', suite, 'debs');
  const deb = kernelDebFile(fs.readdirSync(debs), kernel.package, kernel.packageVersion);
  if (!deb) throw new ShimError(`xrestore modules ${suite}`, `no ${kernel.package} .deb in ${debs}`, { code: 'ENOENT', hint: 'rerun: fetchDebianKernel downloads it' });
  const modules = guestModules(path.join(debs, deb), kernel.release, GUEST_MODULES, path.join(WORK, 'modules', kernel.release)).files;
  const initrd = buildInitramfs({
    busybox: '/bin/busybox',
    files: [
      ...modules.map((m) => ({ src: m, name: path.basename(m) })),
      { src: tar, name: 'criu.tar' },
      { src: subjects.dynamic, name: 'cr-subject' },
      { src: subjects.static, name: 'cr-subject-static' },
    ],
    script: guestScript(criu, modules.map((m) => path.basename(m)), cases),
  });
  const key = crypto.createHash('sha256').update(`${kernel.package} ${kernel.packageVersion}\n`).update(initrd).digest('hex').slice(0, 16);
  const keyFile = path.join(dir, 'key.json');
  const outDir = path.join(dir, 'work', 'out');
  let accel = 'cached';
  let bootSeconds: number | undefined;
  const prev = fs.existsSync(keyFile) ? (JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { key: string; accel: string; bootSeconds: number }) : undefined;
  const cached = !fresh && prev?.key === key && fs.existsSync(outDir);
  if (cached) {
    accel = prev.accel;
    bootSeconds = prev.bootSeconds;
  } else {
    const initrdFile = path.join(dir, 'initrd.cpio');
    fs.writeFileSync(initrdFile, initrd);
    const r = await bootAndCollect({ kernel: kernel.vmlinuz, initrd: initrdFile, workDir: path.join(dir, 'work'), timeoutMs: BOOT_TIMEOUT_MS, memory: '1G' });
    accel = r.accel;
    bootSeconds = Math.round(r.elapsedMs / 100) / 10;
    if (r.payloadStatus !== 0) throw new ShimError(`xrestore guest ${kernel.release}`, `the guest script exited with ${r.payloadStatus}`, { code: 'EIO', hint: `see ${r.outDir}/payload.stderr` });
    fs.writeFileSync(keyFile, JSON.stringify({ key, accel, bootSeconds }));
  }
  return {
    dir: outDir,
    release: readText(path.join(outDir, 'uname-r')),
    version: readText(path.join(outDir, 'uname-v')),
    procVersion: readText(path.join(outDir, 'proc-version')),
    criuVersion: readText(path.join(outDir, 'criu-version')),
    accel,
    bootSeconds,
    cached,
  };
}

/** The manifest the harness writes for a guest dump (no persona: the program ran on the real kernel). */
function manifestFor(g: GuestOut, c: XCase, dumpPid: number): Manifest {
  return {
    schema: 1,
    kernel: { release: g.release, version: g.version, mainline: mainlineOf(g.release) },
    arch: 'x86_64',
    crShim: { version: crShimVersion() },
    criu: { version: g.criuVersion },
    time: new Date(fs.statSync(path.join(g.dir, c.name, 'dump.status')).mtimeMs).toISOString(),
    dump: { pid: dumpPid, criuArgs: ['dump', '-t', String(dumpPid), '-o', 'dump.log', '-v4'] },
  };
}

async function checkCase(g: GuestOut, suite: string, c: XCase, subjects: { dynamic: string; static: string }): Promise<XRow> {
  const caseDir = path.join(g.dir, c.name);
  const native = parseReport(readText(path.join(caseDir, 'native.report')));
  const dumpedCounter = counterOf(readText(path.join(caseDir, 'state.progress')));
  const row: XRow = { suite, release: g.release, criu: g.criuVersion, case: c.name, dumpedCounter, guest: native, shim: undefined, plain: undefined, conversions: [], failures: [] };
  const dumpStatus = readText(path.join(caseDir, 'dump.status'));
  if (dumpStatus !== '0') {
    const why = readText(path.join(caseDir, 'img', 'dump.log')).split('\n').filter((l) => /Error/.test(l)).slice(-2).join(' | ');
    row.failures.push(`criu dump in the guest exited ${dumpStatus || '(none)'}: ${why}`);
    return row;
  }
  const dumpPid = Number(readText(path.join(caseDir, 'dump.pid')));
  const busy = busyPids(c);
  if (busy.length) {
    row.failures.push(`PIDs ${busy.join(', ')} of the dump are in use here`);
    return row;
  }
  // A fresh copy of the image per restore: conversions and logs go beside it.
  const img = path.join(WORK, 'img', `${g.release}-${c.name}`);
  fs.rmSync(path.dirname(img), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(img), { recursive: true });
  fs.cpSync(path.join(caseDir, 'img'), img, { recursive: true });
  writeManifest(img, manifestFor(g, c, dumpPid));

  if (dumpedCounter === undefined) {
    row.failures.push('no counter in the progress file saved at the dump');
    return row;
  }
  const state = stageHostFiles(subjects, caseDir, c);
  const shim = await restoreUnderShim(img, state, dumpedCounter);
  row.shim = shim.report;
  if (!shim.ok) row.failures.push(`under cr-shim: ${shim.detail}`);
  else {
    if (!shim.progressed) row.failures.push('under cr-shim: the counter did not move past the dump');
    const want: [string, string | undefined][] = [
      ['release', g.release],
      ['version', g.version],
      ['proc_version', g.procVersion],
      ['lookup_dcookie_errno', native.lookup_dcookie_errno],
    ];
    for (const [k, v] of want) if (shim.report[k] !== v) row.failures.push(`under cr-shim: ${k} is ${JSON.stringify(shim.report[k])}, the guest's is ${JSON.stringify(v)}`);
    if (Number(shim.report.counter) <= dumpedCounter) row.failures.push(`under cr-shim: counter ${shim.report.counter} did not continue from ${dumpedCounter}`);
    if (c.mode === 'threads') {
      if (shim.report.threads_alive !== shim.report.threads) row.failures.push(`under cr-shim: ${shim.report.threads_alive}/${shim.report.threads} threads alive`);
      for (let i = 0; i < Number(shim.report.threads ?? 0); i++) {
        if (shim.report[`thread.${i}.release`] !== g.release) row.failures.push(`under cr-shim: thread ${i} sees ${shim.report[`thread.${i}.release`]}`);
      }
    }
  }

  const state2 = stageHostFiles(subjects, caseDir, c);
  const plain = await restorePlain(img, state2, dumpedCounter);
  row.plain = plain.report;
  const convertedManifest = path.join(`${img}-converted`, 'cr-shim.json');
  if (fs.existsSync(convertedManifest)) {
    const m = JSON.parse(fs.readFileSync(convertedManifest, 'utf8')) as Manifest;
    row.conversions = (m.conversions ?? []).map((k) => `${k.kind}: ${k.detail}`);
  }
  if (!plain.ok) row.failures.push(`plain criu: ${plain.detail}`);
  else {
    // Without the shim the restored program sees this kernel: the contrast the shim removes.
    const host = { release: os.release(), proc_version: fs.readFileSync('/proc/version', 'utf8').trim() };
    for (const [k, v] of Object.entries(host)) if (plain.report[k] !== v) row.failures.push(`plain criu: ${k} is ${JSON.stringify(plain.report[k])}, expected this host's ${JSON.stringify(v)}`);
    if (!plain.progressed || Number(plain.report.counter) <= dumpedCounter) row.failures.push(`plain criu: counter ${plain.report.counter} did not continue from ${dumpedCounter}`);
  }
  return row;
}

async function main(argv: string[]): Promise<number> {
  const only = argv.flatMap((a, i) => (argv[i - 1] === '--suite' ? [a] : []));
  const fresh = argv.includes('--fresh');
  const write = !argv.includes('--no-write');
  if (!fs.existsSync(HOST_CRIU)) throw new ShimError('xrestore', `no ${HOST_CRIU}`, { code: 'ENOENT', hint: 'bash scripts/setup-criu.sh' });
  const subjects = buildSubjects();
  const rows: XRow[] = [];
  const guests: { suite: string; g: GuestOut }[] = [];
  for (const { suite, criuSuite } of SUITES.filter((s) => only.length === 0 || only.includes(s.suite))) {
    // PIDs chosen per guest run, free here now; a cached run with other PIDs is simply rebooted.
    const cases = xcases(freePidWindow());
    const g = await runGuest(suite, criuSuite, subjects, cases, fresh);
    log(`${suite}: guest ${g.release} ${g.cached ? '(cached)' : `${String(g.bootSeconds)} s (${g.accel})`}, criu ${g.criuVersion}`);
    guests.push({ suite, g });
    for (const c of cases) {
      const row = await checkCase(g, suite, c, subjects);
      log(`${suite} ${c.name}: ${row.failures.length ? `FAIL: ${row.failures.join('; ')}` : 'ok'}`);
      rows.push(row);
    }
  }
  fs.rmSync(XK_DIR, { recursive: true, force: true });
  const host = { release: os.release(), procVersion: fs.readFileSync('/proc/version', 'utf8').trim() };
  const section = renderXrestore({ host, rows, guests: guests.map(({ suite, g }) => ({ suite, release: g.release, accel: g.accel, bootSeconds: g.bootSeconds })) });
  const doc = path.join(ROOT, 'docs', 'FIDELITY.md');
  if (write && only.length === 0) fs.writeFileSync(doc, spliceSection(fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '', section));
  else process.stdout.write(section);
  const failed = rows.filter((r) => r.failures.length > 0).length;
  process.stdout.write(`xrestore: ${rows.length - failed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ShimError) process.stderr.write(`xrestore: ${err.op}: ${err.message}${err.hint ? `; ${err.hint}` : ''}\n`);
    else process.stderr.write(`xrestore: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  },
);
