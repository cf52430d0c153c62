/**
 * Kernel modules for the oracle's guest, taken from the same linux-image .deb the kernel came
 * from. The initramfs has no /lib/modules and no modprobe, so nothing is loaded on demand: the
 * harness names the modules it needs and the guest insmods them in dependency order.
 *
 * Why criu needs them: its start-up probe (kerndat) opens a NETLINK_NETFILTER socket and creates
 * an nftables table, and Debian builds nfnetlink, nf_tables, libcrc32c and crc32c as modules;
 * without them the probe's child exits with status 3 (seen here: libnftables cannot open its
 * netlink socket) and criu stops with "kerndat_has_nftables_concat failed".
 *
 * The .deb ships no modules.dep (depmod writes it at install), so dependencies come from each
 * module's own .modinfo section, whose strings include the one depmod reads:
 *
 *   .modinfo ::= { KEY "=" VALUE NUL }        KEY "depends": VALUE ::= [ NAME { "," NAME } ]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ShimError } from '../errors.js';

export interface GuestModules {
  /** Plain .ko files (decompressed), in the order to insmod them. */
  files: string[];
}

/**
 * The linux-image .deb a fetched kernel came from (fetchDebianKernel keeps it under
 * CACHE/apt/SUITE/debs): its file is named PACKAGE_VERSION_amd64.deb, the epoch dropped.
 */
export function kernelDebFile(debs: readonly string[], pkg: string, packageVersion: string): string | undefined {
  return debs.find((f) => f.startsWith(`${pkg}_${packageVersion.replace(/^\d+:/, '')}_`));
}

/** The guest's lines that load MODULES (file names under /payload, in load order). */
export function insmodLines(modules: readonly string[]): string[] {
  return modules.map((m) => `insmod /payload/${m}`);
}

/** A module's name as the kernel and depends= spell it: file name without .ko[.xz], "-" as "_". */
export function moduleName(file: string): string {
  return path.basename(file).replace(/\.ko(\.[a-z]+)?$/, '').replace(/-/g, '_');
}

/** The depends= value of a module image's .modinfo strings (empty when it depends on nothing). */
export function modinfoDepends(image: Buffer): string[] {
  const key = Buffer.from('\0depends=');
  const at = image.indexOf(key);
  if (at < 0) return [];
  const end = image.indexOf(0, at + key.length);
  return image.subarray(at + key.length, end < 0 ? undefined : end).toString('latin1').split(',').filter(Boolean).map(moduleName);
}

function readModule(file: string): Buffer {
  // CONFIG_MODULE_COMPRESS_XZ kernels (trixie) ship .ko.xz; insmod and .modinfo need the raw ELF.
  if (!file.endsWith('.xz')) return fs.readFileSync(file);
  try {
    return execFileSync('xz', ['-dc', file], { maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (cause) {
    throw new ShimError('oracle modules', `xz -dc ${file} failed`, { cause, code: (cause as NodeJS.ErrnoException).code ?? 'EIO', hint: 'apt-get install xz-utils' });
  }
}

/** WANTED and their dependencies, each after everything it depends on. Throws on a name modules.dep lacks. */
export function loadOrder(depsOf: (name: string) => string[] | undefined, wanted: readonly string[]): string[] {
  const order: string[] = [];
  const visit = (n: string) => {
    if (order.includes(n)) return;
    const deps = depsOf(n);
    if (!deps) throw new ShimError('oracle modules', `no module ${n} in the package`, { code: 'ENOENT', hint: 'the kernel builds it in, or names it differently' });
    for (const d of deps) visit(d);
    order.push(n);
  };
  for (const w of wanted) visit(w);
  return order;
}

/** The named modules (and what they depend on) from DEB, as plain .ko files under DIR/ko (cached by package and names). */
export function guestModules(deb: string, release: string, wanted: readonly string[], dir: string): GuestModules {
  const out = path.join(dir, 'ko');
  const listFile = path.join(dir, 'order.txt');
  const key = `${path.basename(deb)} ${wanted.join(',')}`;
  if (fs.existsSync(listFile)) {
    const [k, ...files] = fs.readFileSync(listFile, 'utf8').trim().split('\n');
    if (k === key && files.every((f) => fs.existsSync(f))) return { files };
  }
  // The whole package is unpacked (a few hundred MB) and removed again once the modules are out.
  const tree = path.join(dir, 'tree');
  fs.rmSync(tree, { recursive: true, force: true });
  fs.mkdirSync(tree, { recursive: true });
  try {
    execFileSync('dpkg', ['-x', deb, tree], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (cause) {
    throw new ShimError('oracle modules', `dpkg -x ${deb} failed`, { cause, code: 'EIO', hint: 'delete the .deb and fetch the kernel again' });
  }
  try {
    // bookworm and bullseye ship lib/modules, trixie (merged /usr) usr/lib/modules.
    const base = ['lib/modules', 'usr/lib/modules'].map((d) => path.join(tree, d, release)).find((d) => fs.existsSync(path.join(d, 'kernel')));
    if (!base) throw new ShimError('oracle modules', `${deb} has no modules for ${release}`, { code: 'ENOENT' });
    const byName = new Map<string, string>();
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (/\.ko(\.xz)?$/.test(e.name)) byName.set(moduleName(e.name), path.join(d, e.name));
      }
    };
    walk(path.join(base, 'kernel'));
    const images = new Map<string, Buffer>();
    const depsOf = (n: string): string[] | undefined => {
      const file = byName.get(n);
      if (file === undefined) return undefined;
      if (!images.has(n)) images.set(n, readModule(file));
      return modinfoDepends(images.get(n)!);
    };
    fs.mkdirSync(out, { recursive: true });
    const files = loadOrder(depsOf, wanted).map((n) => {
      const dst = path.join(out, `${n}.ko`);
      fs.writeFileSync(dst, images.get(n)!);
      return dst;
    });
    fs.writeFileSync(listFile, `${[key, ...files].join('\n')}\n`);
    return { files };
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
}
