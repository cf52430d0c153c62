/**
 * Fetch a Debian suite's own criu for a guest: the package and its dependency closure are
 * downloaded with a private apt (the suite's lists under CACHE/apt/SUITE, which kernel-fetch.ts
 * keeps fresh; an empty dpkg status, so apt wants the whole closure), unpacked into
 * CACHE/criu/SUITE/root, and cut down to criu, its loader and the libraries the loader lists
 * for it (python3 and the rest of the closure are not needed to dump). The guest runs it as
 * `ROOT/LDSO --library-path ROOT/LIBDIRS ROOT/usr/sbin/criu`, beside the guest's other libc.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ShimError } from '../errors.js';

export interface DebianCriu {
  suite: string;
  /** `criu --version`'s "Version:" value, e.g. "3.17.1". */
  version: string;
  /** Debian version of the package, e.g. "3.17.1-2+deb12u2". */
  packageVersion: string;
  /** The unpacked closure. */
  root: string;
  /** The loader, the library directories and criu, relative to root. */
  ldso: string;
  libDirs: string[];
  criu: string;
  /** Every file the guest needs, relative to root: criu, the loader, the listed libraries. */
  files: string[];
}

function run(op: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });
  } catch (cause) {
    const e = cause as { stderr?: string; code?: string };
    const detail = (e.stderr ?? '').trim().split('\n').pop() ?? '';
    throw new ShimError(op, `${cmd} ${args.filter((a) => !a.includes('::')).join(' ')} failed${detail ? `: ${detail}` : ''}`, {
      cause,
      code: e.code ?? 'EIO',
      hint: 'run the kernel oracle once (npm run fidelity) so the suite\'s apt lists exist, and check the Debian archive is reachable',
    });
  }
}

function aptOptions(aptDir: string, archives: string): string[] {
  const o = {
    'Dir::Etc::SourceList': path.join(aptDir, 'sources.list'),
    'Dir::Etc::SourceParts': path.join(aptDir, 'sources.list.d'),
    'Dir::State::Lists': path.join(aptDir, 'lists'),
    'Dir::State::Status': path.join(aptDir, 'status'),
    'Dir::Cache': path.join(aptDir, 'cache'),
    'Dir::Cache::archives': archives,
    'APT::Architecture': 'amd64',
    'APT::Architectures': 'amd64',
    'APT::Install-Recommends': 'false',
    'Acquire::Languages': 'none',
  };
  return Object.entries(o).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
}

/** The loader's list mode: LINE ::= [NAME " => "] PATH " (" ADDR ")" */
function listedLibraries(root: string, ldso: string, libDirs: string[], program: string): string[] {
  const text = run(`oracle criu libraries ${program}`, path.join(root, ldso), ['--library-path', libDirs.map((d) => path.join(root, d)).join(':'), '--list', path.join(root, program)]);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m && m[1]!.startsWith(`${root}/`)) out.push(path.relative(root, m[1]!));
  }
  return out;
}

/** The suite's criu, unpacked and cut down (cached by package version). Throws ShimError when the suite has none. */
export function fetchDebianCriu(suite: string, cacheDir: string): DebianCriu {
  const aptDir = path.join(cacheDir, 'apt', suite);
  if (!fs.existsSync(path.join(aptDir, 'sources.list'))) {
    throw new ShimError(`oracle criu ${suite}`, `no private apt for ${suite} in ${aptDir}`, { code: 'ENOENT', hint: 'fetch the suite\'s kernel first (fetchDebianKernel)' });
  }
  const dir = path.join(cacheDir, 'criu', suite);
  const archives = path.join(dir, 'debs');
  fs.mkdirSync(path.join(archives, 'partial'), { recursive: true });
  const o = aptOptions(aptDir, archives);
  const show = run(`oracle apt-cache ${suite}`, 'apt-cache', [...o, 'show', '--no-all-versions', 'criu']);
  const packageVersion = /^Version:\s*(\S+)/m.exec(show)?.[1];
  if (!packageVersion) throw new ShimError(`oracle criu ${suite}`, `${suite} main has no criu package`, { code: 'ENOENT', hint: 'use a newer suite\'s criu for this kernel' });
  const root = path.join(dir, 'root');
  const stampFile = path.join(dir, 'package.txt');
  const stamp = `criu ${packageVersion}\n`;
  if (!(fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp)) {
    run(`oracle apt download criu ${suite}`, 'apt-get', [...o, '-qq', '-y', 'install', '--download-only', 'criu']);
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    for (const deb of fs.readdirSync(archives).filter((f) => f.endsWith('.deb'))) run(`oracle dpkg -x ${deb}`, 'dpkg', ['-x', path.join(archives, deb), root]);
    fs.writeFileSync(stampFile, stamp);
  }
  // bookworm ships the loader in /lib64 and libraries in /lib (not merged in the package), trixie under usr/.
  const ldso = ['usr/lib64/ld-linux-x86-64.so.2', 'lib64/ld-linux-x86-64.so.2', 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'].find((p) =>
    fs.existsSync(path.join(root, p)),
  );
  if (!ldso) throw new ShimError(`oracle criu ${suite}`, `no ld-linux-x86-64.so.2 under ${root}`, { code: 'ENOENT', hint: `rm -r ${dir} and rerun` });
  const libDirs = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'].filter((d) => fs.existsSync(path.join(root, d)));
  const criu = 'usr/sbin/criu';
  const libs = listedLibraries(root, ldso, libDirs, criu);
  const version = /^Version:\s*([0-9.]+)/m.exec(
    run(`oracle criu --version ${suite}`, path.join(root, ldso), ['--library-path', libDirs.map((d) => path.join(root, d)).join(':'), path.join(root, criu), '--version']),
  )?.[1];
  if (!version) throw new ShimError(`oracle criu ${suite}`, `${criu} --version printed no version`, { code: 'EIO' });
  return { suite, version, packageVersion, root, ldso, libDirs, criu, files: [...new Set([criu, ldso, ...libs])] };
}
