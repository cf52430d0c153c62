/**
 * The files of an image directory, handled as root handles files other users may have put
 * there. CRIU opens an image's files as root and follows symlinks: a `pages-1.img` pointing at a
 * root-only file would put that file's bytes into the restored process. So:
 *
 *   - an image holds only regular files and directories; anything else (symlink, FIFO, device,
 *     socket) is refused before CRIU or cr-shim reads it, unless the caller asks for a symlink's
 *     content to be copied as a plain file (`convert --copy-links`);
 *   - a copy of an image holds regular files only, created 0600 in directories 0700 (never a
 *     set-id or executable bit, whatever the source's mode), read through O_NOFOLLOW so a file
 *     swapped for a symlink after the scan is refused, not followed;
 *   - a copy never goes inside its own source.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { ImageError } from './image/image-error.js';

/** Image directories and the files in them, unless the user asks to share them (dump --share). */
export const IMAGE_DIR_MODE = 0o700;
export const IMAGE_FILE_MODE = 0o600;

/** How a symlink inside an image is treated. */
export type LinkPolicy = 'refuse' | 'copy-content';

export interface NonRegular {
  /** Relative to the image directory. */
  path: string;
  kind: 'symlink' | 'fifo' | 'device' | 'socket' | 'other';
}

function kindOf(st: fs.Stats): NonRegular['kind'] | undefined {
  if (st.isFile() || st.isDirectory()) return undefined;
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'device';
  if (st.isSocket()) return 'socket';
  return 'other';
}

/** Every entry under `dir` that is neither a regular file nor a directory (lstat: links not followed). */
export function nonRegularEntries(dir: string, rel = ''): NonRegular[] {
  const out: NonRegular[] = [];
  for (const name of fs.readdirSync(path.join(dir, rel))) {
    const r = path.join(rel, name);
    const st = fs.lstatSync(path.join(dir, r));
    const kind = kindOf(st);
    if (kind !== undefined) out.push({ path: r, kind });
    else if (st.isDirectory()) out.push(...nonRegularEntries(dir, r));
  }
  return out;
}

/**
 * Refuse an image directory holding anything but regular files and directories (with
 * 'copy-content', symlinks are let through for a copy that reads their content). Throws
 * ImageError (code 'EUNSAFE') naming the first such entry and the count.
 */
export function assertRegularImage(dir: string, op: string, links: LinkPolicy = 'refuse'): void {
  const bad = nonRegularEntries(dir).filter((e) => !(links === 'copy-content' && e.kind === 'symlink'));
  if (bad.length === 0) return;
  const first = bad[0]!;
  const more = bad.length > 1 ? ` (and ${bad.length - 1} more)` : '';
  throw new ImageError(op, `${path.join(dir, first.path)} is a ${first.kind}${more}: an image holds only regular files, and CRIU would open it as root`, {
    code: 'EUNSAFE',
    hint:
      first.kind === 'symlink'
        ? 'replace it with the file it points to, or run cr-shim convert --copy-links IMG OUT to copy its content as a plain file'
        : 'remove it from the image directory',
  });
}

/** The nearest existing ancestor of `p` (p itself when it exists), resolved through symlinks. */
function realAncestor(p: string): string {
  let cur = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse());
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return path.join(cur, ...rest.reverse());
      rest.push(path.basename(cur));
      cur = up;
    }
  }
}

/** Refuse a destination that is the source or lies inside it (symlinks resolved): the copy would copy itself. */
export function assertOutside(src: string, dst: string, op: string): void {
  const s = fs.realpathSync(src);
  const d = realAncestor(dst);
  if (d === s || d.startsWith(s + path.sep)) {
    throw new UsageError(op, `${dst} is inside the image ${src}`, { code: 'EUSAGE', hint: 'write the converted image to a directory outside IMG' });
  }
}

const CHUNK = 1 << 20;

/** Copy one regular file's content into a new 0600 file; the source is opened without following a final symlink unless `follow`. */
function copyContent(from: string, to: string, follow: boolean): void {
  const inFd = fs.openSync(from, fs.constants.O_RDONLY | (follow ? 0 : fs.constants.O_NOFOLLOW));
  try {
    if (!fs.fstatSync(inFd).isFile()) throw new ImageError('copy image', `${from} is not a regular file`, { code: 'EUNSAFE', hint: 'remove it from the image directory' });
    const outFd = fs.openSync(to, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, IMAGE_FILE_MODE);
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      for (let n = fs.readSync(inFd, buf, 0, CHUNK, null); n > 0; n = fs.readSync(inFd, buf, 0, CHUNK, null)) {
        for (let off = 0; off < n; ) off += fs.writeSync(outFd, buf, off, n - off);
      }
    } finally {
      fs.closeSync(outFd);
    }
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new ImageError('copy image', `${from} became a symlink during the copy`, { cause, code: 'EUNSAFE', hint: 'make sure nobody changes the image while cr-shim reads it' });
    }
    throw cause;
  } finally {
    fs.closeSync(inFd);
  }
}

export interface CopyOptions {
  /** Top-level names not copied (written afterwards by the caller). */
  skip?: ReadonlySet<string>;
  /** Hard-link regular files that carry no set-id bit instead of copying them. */
  link?: boolean;
  links?: LinkPolicy;
}

/**
 * Copy the image tree `from` into the new directory `to`: regular files only, 0600, in
 * directories 0700. Throws ImageError (EUNSAFE) for an entry that is not a regular file or
 * directory (a symlink's content is copied with links: 'copy-content').
 */
export function copyImageTree(from: string, to: string, opts: CopyOptions = {}, top = true): void {
  fs.mkdirSync(to, { mode: IMAGE_DIR_MODE });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (top && opts.skip?.has(e.name)) continue;
    const a = path.join(from, e.name);
    const b = path.join(to, e.name);
    const st = fs.lstatSync(a);
    if (st.isDirectory()) copyImageTree(a, b, opts, false);
    else if (st.isSymbolicLink() && opts.links === 'copy-content') copyContent(a, b, true);
    else if (!st.isFile()) assertRegularImage(from, 'copy image');
    // link(2) never follows a symlink; a set-id file is copied so no link to it leaves the source's bits.
    else if (opts.link === true && (st.mode & 0o6000) === 0) fs.linkSync(a, b);
    else copyContent(a, b, false);
  }
}

/**
 * Refuse an existing directory for a dump that another user owns or may write: root's CRIU and
 * cr-shim write the image there, and such a user could plant symlinks or swap files in it while
 * they do. Throws UsageError naming the owner or the mode.
 */
export function assertPrivateDir(dir: string, op: string): void {
  const st = fs.lstatSync(dir);
  const uid = process.geteuid?.() ?? 0;
  const fix = 'give a new directory, or one only you own and may write';
  if (st.isSymbolicLink()) throw new UsageError(op, `${dir} is a symlink`, { code: 'EUNSAFE', hint: fix });
  if (st.uid !== uid) {
    throw new UsageError(op, `${dir} belongs to uid ${st.uid}, not to the user running cr-shim (uid ${uid})`, { code: 'EUNSAFE', hint: fix });
  }
  if ((st.mode & 0o022) !== 0) {
    throw new UsageError(op, `${dir} is writable by other users (mode ${(st.mode & 0o7777).toString(8)})`, { code: 'EUNSAFE', hint: fix });
  }
}

/**
 * Refuse an image path any of whose existing directories (symlinks resolved) another user owns,
 * or others may write without the sticky bit: such a user could rename the image directory away
 * and put a symlink in its place while root's CRIU writes there and cr-shim chmods what it finds
 * (a link to /etc would turn its files 0600). A sticky directory (/tmp) lets no one but the owner
 * rename an entry (the kernel's sticky check in may_delete()). Throws UsageError (EUNSAFE).
 */
export function assertSafeAncestors(target: string, op: string): void {
  const uid = process.geteuid?.() ?? 0;
  let existing = path.dirname(path.resolve(target));
  for (;;) {
    try {
      existing = fs.realpathSync(existing);
      break;
    } catch {
      // Not there yet: dump creates it, 0700.
      existing = path.dirname(existing);
    }
  }
  const fix = 'give a path whose directories only you or root own and may write';
  for (let dir = existing; ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    const risk = `could replace ${target} while root writes the image there`;
    if (st.uid !== 0 && st.uid !== uid) throw new UsageError(op, `${dir} belongs to uid ${st.uid}: that user ${risk}`, { code: 'EUNSAFE', hint: fix });
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
      throw new UsageError(op, `${dir} is writable by other users without the sticky bit (mode ${(st.mode & 0o7777).toString(8)}): they ${risk}`, { code: 'EUNSAFE', hint: fix });
    }
    if (path.dirname(dir) === dir) return;
  }
}

/**
 * Set the modes of an image CRIU has written (it creates 0644 files): directories 0700 and files
 * 0600, or 0755 and 0644 when shared. Symlinks CRIU made (parent → pre-N) are left as they are.
 */
export function setImageModes(dir: string, share: boolean): void {
  fs.chmodSync(dir, share ? 0o755 : IMAGE_DIR_MODE);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) setImageModes(p, share);
    else if (e.isFile()) fs.chmodSync(p, share ? 0o644 : IMAGE_FILE_MODE);
  }
}
