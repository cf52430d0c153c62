/**
 * Fetch one binary package of a Debian suite with the private apt of kernel-fetch.ts and unpack
 * it (dpkg -x) under CACHE/debs/SUITE/PACKAGE/root, cached by the package's version. Used for
 * public data: the uapi headers of linux-libc-dev, glibc's headers, man-pages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ShimError } from '../errors.js';
import { prepareApt, run } from './kernel-fetch.js';

export interface UnpackedDeb {
  suite: string;
  package: string;
  /** Debian version, e.g. "5.10.223-1". */
  version: string;
  root: string;
}

/** The suite's current PACKAGE, unpacked (cached). Throws ShimError when the suite has none or apt fails. */
export function fetchDebianPackage(suite: string, pkg: string, cacheDir: string): UnpackedDeb {
  const o = prepareApt(path.join(cacheDir, 'apt', suite), suite);
  const show = run(`apt-cache show ${pkg} (${suite})`, 'apt-cache', [...o, 'show', '--no-all-versions', pkg]);
  const version = /^Version:\s*(\S+)/m.exec(show)?.[1];
  if (!version) throw new ShimError(`apt-cache show ${pkg} (${suite})`, `${suite} main has no package ${pkg}`, { code: 'ENOENT' });
  const dir = path.join(cacheDir, 'debs', suite, pkg);
  const root = path.join(dir, 'root');
  const stampFile = path.join(dir, 'package.txt');
  const stamp = `${pkg} ${version}\n`;
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return { suite, package: pkg, version, root };
  const debs = path.join(dir, 'debs');
  fs.rmSync(debs, { recursive: true, force: true });
  fs.mkdirSync(debs, { recursive: true });
  run(`apt-get download ${pkg} (${suite})`, 'apt-get', [...o, '-qq', 'download', pkg], { cwd: debs });
  const deb = fs.readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) throw new ShimError(`apt-get download ${pkg} (${suite})`, `no .deb in ${debs} after download`, { code: 'ENOENT' });
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  run(`dpkg -x ${deb}`, 'dpkg', ['-x', path.join(debs, deb), root]);
  fs.rmSync(debs, { recursive: true, force: true });
  fs.writeFileSync(stampFile, stamp);
  return { suite, package: pkg, version, root };
}
