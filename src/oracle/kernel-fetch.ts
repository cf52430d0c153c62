/**
 * Fetch a Debian suite's current amd64 kernel with a private apt (own sources list,
 * lists, cache and an empty dpkg status, so the system's apt state is untouched) and
 * unpack its /boot. Cached under CACHE/apt/SUITE and CACHE/kernels/RELEASE.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ShimError } from '../errors.js';
import { debianArchive, systemAptSources } from './apt-sources.js';

export interface DebianKernel {
  suite: string;
  /** uname -r of the kernel, e.g. "6.1.0-56-amd64". */
  release: string;
  /** Binary package, e.g. "linux-image-6.1.0-56-amd64". */
  package: string;
  /** Debian version of the package, e.g. "6.1.192-2". */
  packageVersion: string;
  vmlinuz: string;
  /** The build's Kconfig (/boot/config-RELEASE). */
  config: string;
}

/** Re-read the suite's package lists when older than this. */
const LISTS_MAX_AGE_MS = 24 * 3600 * 1000;

export function run(op: string, cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });
  } catch (cause) {
    const e = cause as { stderr?: string; code?: string };
    const detail = (e.stderr ?? '').trim().split('\n').pop() ?? '';
    throw new ShimError(op, `${cmd} ${args.filter((a) => !a.startsWith('Dir::') && a !== '-o').join(' ')} failed${detail ? `: ${detail}` : ''}`, {
      cause,
      code: e.code ?? 'EIO',
      hint: 'check that this machine reaches its Debian archive (apt-get update)',
    });
  }
}

/** apt -o options that confine apt to DIR. */
function aptOptions(dir: string): string[] {
  const o = {
    'Dir::Etc::SourceList': path.join(dir, 'sources.list'),
    'Dir::Etc::SourceParts': path.join(dir, 'sources.list.d'),
    'Dir::State::Lists': path.join(dir, 'lists'),
    'Dir::State::Status': path.join(dir, 'status'),
    'Dir::Cache': path.join(dir, 'cache'),
    'APT::Architecture': 'amd64',
    'APT::Architectures': 'amd64',
    'Acquire::Languages': 'none',
  };
  return Object.entries(o).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
}

/** Private apt state for SUITE under DIR (lists refreshed daily); returns apt's -o options. */
export function prepareApt(dir: string, suite: string): string[] {
  for (const d of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'debs']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  if (!fs.existsSync(path.join(dir, 'status'))) fs.writeFileSync(path.join(dir, 'status'), '');
  const { archive, security } = debianArchive(systemAptSources());
  const key = '/usr/share/keyrings/debian-archive-keyring.gpg';
  const lines = [`deb [signed-by=${key}] ${archive} ${suite} main`];
  // unstable and experimental have no security suite.
  if (security && !['unstable', 'sid', 'experimental'].includes(suite)) lines.push(`deb [signed-by=${key}] ${security} ${suite}-security main`);
  const list = lines.join('\n') + '\n';
  const listFile = path.join(dir, 'sources.list');
  const changed = !fs.existsSync(listFile) || fs.readFileSync(listFile, 'utf8') !== list;
  if (changed) fs.writeFileSync(listFile, list);
  const o = aptOptions(dir);
  // apt dates its list files by the archive's Release, not by the download: keep our own stamp.
  const stamp = path.join(dir, 'updated');
  const stale = !fs.existsSync(stamp) || Date.now() - fs.statSync(stamp).mtimeMs > LISTS_MAX_AGE_MS;
  if (changed || stale) {
    run(`oracle apt update ${suite}`, 'apt-get', [...o, '-qq', 'update']);
    fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  }
  return o;
}

/** The suite's current kernel package, unpacked (cached). */
export function fetchDebianKernel(suite: string, cacheDir: string): DebianKernel {
  const aptDir = path.join(cacheDir, 'apt', suite);
  const o = prepareApt(aptDir, suite);
  // linux-image-amd64 is the metapackage that depends on the suite's current ABI's image.
  const deps = run(`oracle apt-cache ${suite}`, 'apt-cache', [...o, 'depends', 'linux-image-amd64']);
  const pkg = /Depends:\s*(linux-image-\S+)/.exec(deps)?.[1];
  if (!pkg) throw new ShimError(`oracle kernel ${suite}`, `linux-image-amd64 in ${suite} depends on no linux-image package`, { code: 'ENOENT' });
  const show = run(`oracle apt-cache ${suite}`, 'apt-cache', [...o, 'show', '--no-all-versions', pkg]);
  const packageVersion = /^Version:\s*(\S+)/m.exec(show)?.[1] ?? 'unknown';
  const release = pkg.replace(/^linux-image-/, '').replace(/-unsigned$/, '');
  const kdir = path.join(cacheDir, 'kernels', release);
  const vmlinuz = path.join(kdir, 'vmlinuz');
  const config = path.join(kdir, 'config');
  const meta = path.join(kdir, 'package.txt');
  const stamp = `${pkg} ${packageVersion}\n`;
  if (!(fs.existsSync(vmlinuz) && fs.existsSync(meta) && fs.readFileSync(meta, 'utf8') === stamp)) {
    const debs = path.join(aptDir, 'debs');
    for (const f of fs.readdirSync(debs)) if (f.startsWith(`${pkg}_`)) fs.rmSync(path.join(debs, f));
    run(`oracle apt download ${pkg}`, 'apt-get', [...o, '-qq', 'download', pkg], { cwd: debs });
    const deb = fs.readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new ShimError(`oracle apt download ${pkg}`, `no .deb in ${debs} after download`, { code: 'ENOENT' });
    const tmp = path.join(kdir, 'x');
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    run(`oracle dpkg -x ${deb}`, 'dpkg', ['-x', path.join(debs, deb), tmp]);
    const boot = path.join(tmp, 'boot');
    const find = (prefix: string) => {
      const f = fs.existsSync(boot) ? fs.readdirSync(boot).find((n) => n.startsWith(prefix)) : undefined;
      if (!f) throw new ShimError(`oracle kernel ${release}`, `${deb} has no /boot/${prefix}*`, { code: 'ENOENT' });
      return path.join(boot, f);
    };
    fs.copyFileSync(find('vmlinuz-'), vmlinuz);
    fs.copyFileSync(find('config-'), config);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.writeFileSync(meta, stamp);
  }
  return { suite, release, package: pkg, packageVersion, vmlinuz, config };
}
