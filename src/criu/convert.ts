/**
 * Userspace conversions of a CRIU image, for what a restore on this host needs:
 *
 *   drop-shim-filter  cr-shim's own seccomp filter, saved by CRIU as plain BPF. Restored without
 *                     its supervisor's listener, every call it sends to the supervisor fails
 *                     with ENOSYS; `cr-shim restore` installs a fresh filter with a live
 *                     listener instead. The program's own filters stay.
 *   clear-pdeath-signal  the PR_SET_PDEATHSIG(SIGKILL) cr-shim's launcher set on the process it
 *                     started, to die with its supervisor. CRIU restores it relative to the new
 *                     parent (criu itself), so the program would be killed as soon as a detached
 *                     restore's criu exits.
 *   drop-caps         capabilities the image's tasks hold that no task here can hold (outside
 *                     this host's bounding set): CRIU's restorer would fail in capset(2).
 *   strict-to-filter  threads in SECCOMP_MODE_STRICT: CRIU would restore them in strict mode, and
 *                     the kernel then refuses cr-shim's filter to them (a strict task's mode
 *                     cannot change, kernel/seccomp.c seccomp_may_assign_mode), while nothing can
 *                     be injected into a strict thread at all. Each gets the strict-equivalent
 *                     filter instead (native/strict-mode.c: read, write, exit, rt_sigreturn,
 *                     every other call SECCOMP_RET_KILL_THREAD), as `run` gives a thread that asks
 *                     for strict mode, and cr-shim's filter goes on top at restore.
 *
 * The original is never written: convertImage builds the result in a temporary directory next
 * to the destination and renames it into place, so a failure leaves nothing behind. The copy
 * holds regular files only, 0600 in a 0700 directory (image-files.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ShimError, UsageError } from '../errors.js';
import { capNames, hostCaps, parseCaps, type HostCaps } from './capabilities.js';
import { dropFilters } from './filter-chain.js';
import { CoreImage, listCoreTids } from './image/core.js';
import { CAP_SETS, dropCaps } from './image/creds.js';
import { DUMP_AGAIN, ImageError } from './image/image-error.js';
import { decodeEntry, readImage, serializeImage } from './image/image-file.js';
import { newFilter, readImageFilters, readSeccompFilters, serializeSeccomp, strictThreadsOf, withPrev } from './image/seccomp.js';
import { SECCOMP_MODE } from './image/core.js';
import { strictFilter } from '../native/strict-filter.js';
import { readThreadCaps } from './image/thread-caps.js';
import { MANIFEST_FILE, readManifest, writeManifest } from './manifest.js';
import { filterSha256 } from './supervised-record.js';
import { assertSeccompIntact } from './seccomp-integrity.js';
import { assertOutside, assertRegularImage, copyImageTree, IMAGE_FILE_MODE, type LinkPolicy } from './image-files.js';

const SIGKILL = 9;

export type Conversion =
  | { kind: 'drop-shim-filter'; sha256: string; indices: number[]; why: string }
  | { kind: 'clear-pdeath-signal'; pids: number[]; why: string }
  | { kind: 'drop-caps'; caps: string[]; why: string }
  | { kind: 'strict-to-filter'; tids: number[]; why: string };

/**
 * The conversions a restore of `imgDir` on this host requires, with why. Reads only.
 * Throws ImageError or TableError when the image or its manifest is unreadable, or when
 * seccomp.img is damaged (seccomp-integrity.ts).
 */
export function requiredConversions(imgDir: string, host: HostCaps = hostCaps()): Conversion[] {
  const out: Conversion[] = [];
  const manifest = readManifest(imgDir);
  // Filters are recognised by their hash: in a damaged seccomp.img cr-shim's would go unnoticed and stay.
  assertSeccompIntact(imgDir, manifest);
  if (manifest?.shimFilter !== undefined) {
    const { sha256 } = manifest.shimFilter;
    const indices = readImageFilters(imgDir).filters.filter((f) => filterSha256(f.insns) === sha256).map((f) => f.index);
    if (indices.length > 0) {
      const persona = manifest.persona ? ` (persona ${manifest.persona.release})` : '';
      out.push({
        kind: 'drop-shim-filter',
        sha256,
        indices,
        why:
          `seccomp.img holds cr-shim's own filter${persona} ${indices.length === 1 ? 'once' : `${indices.length} times`} (index ${indices.join(', ')}): ` +
          'CRIU would restore it without its supervisor and the calls it sends there would fail with ENOSYS',
      });
    }
  }
  const root = manifest?.shimRoot?.pid;
  if (root !== undefined && listCoreTids(imgDir).includes(root) && CoreImage.read(imgDir, root).pdeathSignal() === SIGKILL) {
    out.push({
      kind: 'clear-pdeath-signal',
      pids: [root],
      why: `PID ${root} was started by cr-shim's launcher with PR_SET_PDEATHSIG(SIGKILL), to die with its supervisor: CRIU would set it again relative to the restoring criu, and a detached restore would kill the program as criu exits`,
    });
  }
  const strict = strictThreadsOf(imgDir);
  if (strict.length > 0) {
    out.push({
      kind: 'strict-to-filter',
      tids: strict,
      why:
        `thread ${strict.join(', ')} ${strict.length === 1 ? 'is' : 'are'} in SECCOMP_MODE_STRICT: CRIU would restore strict mode, which refuses cr-shim's filter; ` +
        'each gets an equivalent filter instead (read, write, exit, rt_sigreturn; any other call kills the thread, with SIGSYS where strict mode uses SIGKILL)',
    });
  }
  // The bounding set alone never fails a restore (CRIU only drops from it); the other sets go through capset(2).
  const holders = readThreadCaps(imgDir)
    .map((t) => ({ tid: t.tid, excess: (t.caps.prm | t.caps.eff | t.caps.inh | t.caps.amb) & ~host.bounding, caps: t.caps }))
    .filter((t) => t.excess !== 0n);
  if (holders.length > 0) {
    const excess = holders.reduce((m, h) => m | h.excess, 0n);
    const setNames = { inh: 'inheritable', prm: 'permitted', eff: 'effective', bnd: 'bounding', amb: 'ambient' } as const;
    const who = holders
      .slice(0, 3)
      .map((h) => `thread ${h.tid} holds ${capNames(h.excess).join(', ')} (${CAP_SETS.filter((s) => (h.caps[s] & h.excess) !== 0n).map((s) => setNames[s]).join(', ')})`)
      .join('; ');
    const more = holders.length > 3 ? `; ${holders.length - 3} more threads too` : '';
    out.push({
      kind: 'drop-caps',
      caps: capNames(excess),
      why: `${who}${more}: not in this host's bounding set (${host.source}), which root here cannot exceed, so CRIU's restore would fail in capset(2)`,
    });
  }
  return out;
}

export interface ConvertOptions {
  /**
   * Hard-link the files no conversion rewrites instead of copying them (pages images can be
   * large). Only for a destination nobody writes to: `criu restore --auto-dedup` punches holes
   * in pages images, which would reach the original through a link.
   */
  linkUntouched?: boolean;
  /** Symlinks inside the image: refused (default), or their content copied as plain files. */
  links?: LinkPolicy;
}

export interface ConvertResult {
  /** Files written anew, relative to the image directory. */
  rewritten: string[];
  /** One line per conversion applied. */
  applied: string[];
}

/**
 * Write `src` with `conversions` applied to `dst`, which must not exist or be an empty
 * directory. `src` is only read. Throws UsageError for a bad destination, ImageError for an
 * image that cannot be converted; `dst` is then left as it was.
 */
export function convertImage(src: string, dst: string, conversions: readonly Conversion[], opts: ConvertOptions = {}): ConvertResult {
  const target = path.resolve(dst);
  if (path.resolve(src) === target) throw new UsageError('convert', `${dst} is the image itself`, { code: 'EUSAGE', hint: 'write the converted image to a new directory' });
  assertOutside(src, dst, 'convert');
  assertRegularImage(src, 'convert', opts.links);
  let emptyDir = false;
  if (fs.existsSync(target)) {
    emptyDir = fs.statSync(target).isDirectory() && fs.readdirSync(target).length === 0;
    if (!emptyDir) throw new UsageError('convert', `${dst} exists and is not an empty directory`, { code: 'EEXIST', hint: 'give a new directory for the converted image; the original stays untouched' });
  }

  // Everything is computed from src in memory first; only then is anything written.
  const rewritten = new Map<string, Buffer>();
  const applied: string[] = [];
  const cores = new Map<number, CoreImage>();
  const core = (tid: number) => cores.get(tid) ?? cores.set(tid, CoreImage.read(src, tid)).get(tid)!;
  const manifest = readManifest(src);
  /** seccomp.img's filters as the conversions so far left them; undefined while untouched. */
  let seccomp: ReturnType<typeof readSeccompFilters> | undefined;

  for (const c of conversions) {
    if (c.kind === 'drop-shim-filter') {
      const filters = readImageFilters(src);
      const drop = new Set(filters.filters.filter((f) => filterSha256(f.insns) === c.sha256).map((f) => f.index));
      if (drop.size === 0) continue;
      const tids = listCoreTids(src);
      let edit;
      try {
        edit = dropFilters(filters.filters, tids.map((t) => core(t).seccomp()), drop);
      } catch (cause) {
        throw new ImageError('convert', `${path.join(src, 'seccomp.img')}: ${(cause as Error).message}`, { cause, code: 'EIMAGE', hint: DUMP_AGAIN });
      }
      // Indices are the source image's: this must be the first conversion to touch seccomp.img (requiredConversions' order).
      if (seccomp !== undefined) throw new ImageError('convert', 'drop-shim-filter must come before strict-to-filter', { code: 'EINVAL' });
      const messages = readSeccompFilters(src);
      seccomp = edit.kept.map((old, i) => withPrev(messages[old]!, edit.prev[i]));
      rewritten.set('seccomp.img', serializeSeccomp(seccomp));
      tids.forEach((tid, i) => core(tid).setSeccomp(edit.threads[i]!));
      if (manifest) delete manifest.shimFilter;
      applied.push(`dropped cr-shim's filter (${drop.size} ${drop.size === 1 ? 'copy' : 'copies'}, sha256 ${c.sha256.slice(0, 12)}); ${edit.kept.length} other filters kept`);
    } else if (c.kind === 'strict-to-filter') {
      // A strict thread has no filter of its own (strict and filter modes exclude each other): one new chain each, appended.
      const base = seccomp ?? readSeccompFilters(src);
      const strict = strictFilter();
      const tids = c.tids.filter((tid) => core(tid).seccomp().mode === SECCOMP_MODE.strict);
      tids.forEach((tid, i) => core(tid).setSeccomp({ mode: SECCOMP_MODE.filter, filter: base.length + i }));
      seccomp = [...base, ...tids.map(() => newFilter(strict))];
      rewritten.set('seccomp.img', serializeSeccomp(seccomp));
      applied.push(`gave ${tids.length === 1 ? `thread ${tids[0]}` : `threads ${tids.join(', ')}`} a strict-equivalent filter in place of SECCOMP_MODE_STRICT`);
    } else if (c.kind === 'clear-pdeath-signal') {
      for (const pid of c.pids) core(pid).clearPdeathSignal();
      if (manifest) delete manifest.shimRoot;
      applied.push(`cleared the parent-death signal cr-shim's launcher set on PID ${c.pids.join(', ')}`);
    } else {
      const mask = parseCaps(c.caps);
      for (const tid of listCoreTids(src)) {
        const creds = core(tid).creds();
        if (creds === undefined) continue;
        dropCaps(creds, mask);
        core(tid).setCreds(creds);
      }
      // Images from before CRIU kept creds in thread_core: one creds-PID.img per task.
      for (const name of fs.readdirSync(src).filter((n) => /^creds-\d+\.img$/.test(n))) {
        const file = path.join(src, name);
        const img = readImage(file, 'creds');
        const creds = decodeEntry(img, 0, file);
        dropCaps(creds, mask);
        rewritten.set(name, serializeImage({ kind: 'creds', entries: [creds.encode(), ...img.entries.slice(1)] }));
      }
      applied.push(`dropped ${c.caps.join(', ')} from every task's capability sets`);
    }
    if (manifest) manifest.conversions = [...(manifest.conversions ?? []), { kind: c.kind, detail: applied[applied.length - 1]!, time: new Date().toISOString() }];
  }
  for (const c of cores.values()) {
    const bytes = c.serialize();
    if (!bytes.equals(fs.readFileSync(c.file))) rewritten.set(path.basename(c.file), bytes);
  }

  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.cr-shim-${process.pid}.tmp`);
  try {
    copyImageTree(src, tmp, { skip: new Set([...rewritten.keys(), MANIFEST_FILE]), link: opts.linkUntouched === true, links: opts.links ?? 'refuse' });
    for (const [name, bytes] of rewritten) fs.writeFileSync(path.join(tmp, name), bytes, { mode: IMAGE_FILE_MODE, flag: 'wx' });
    if (manifest) writeManifest(tmp, manifest);
    if (emptyDir) fs.rmdirSync(target);
    fs.renameSync(tmp, target);
  } catch (cause) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (cause instanceof ShimError) throw cause;
    throw new ShimError('convert', `writing ${dst}: ${(cause as Error).message}`, { cause, code: (cause as NodeJS.ErrnoException).code });
  }
  return { rewritten: [...rewritten.keys()].sort(), applied };
}

/**
 * Apply `conversions` to `imgDir` itself: only for an image that was just written and that
 * nothing else uses yet (the CRIU plugin's dump, before the engine packs it). The result is
 * built in a sibling directory as convertImage does (untouched files hard-linked), then each
 * rewritten file and the manifest are renamed over the originals. Throws as convertImage;
 * `imgDir` is then left as it was.
 */
export function convertImageInPlace(imgDir: string, conversions: readonly Conversion[]): ConvertResult {
  const dir = path.resolve(imgDir);
  const tmp = path.join(path.dirname(dir), `.${path.basename(dir)}.cr-shim-inplace-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    const result = convertImage(dir, tmp, conversions, { linkUntouched: true });
    const names = fs.existsSync(path.join(tmp, MANIFEST_FILE)) ? [...result.rewritten, MANIFEST_FILE] : result.rewritten;
    for (const name of names) fs.renameSync(path.join(tmp, name), path.join(dir, name));
    return result;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** `conversions` with the capabilities in `mask` dropped too (`cr-shim convert --drop-caps`), merged into one drop-caps. */
export function withDroppedCaps(conversions: readonly Conversion[], mask: bigint): Conversion[] {
  if (mask === 0n) return [...conversions];
  const asked = `asked for ${capNames(mask).join(', ')}`;
  const had = conversions.find((c): c is Extract<Conversion, { kind: 'drop-caps' }> => c.kind === 'drop-caps');
  const merged: Conversion = had
    ? { kind: 'drop-caps', caps: capNames(parseCaps(had.caps) | mask), why: `${had.why}; and ${asked}` }
    : { kind: 'drop-caps', caps: capNames(mask), why: asked };
  return had ? conversions.map((c) => (c === had ? merged : c)) : [...conversions, merged];
}
