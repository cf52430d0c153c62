/**
 * Finding and vetting the criu that cr-shim runs.
 *
 * Output grammars this file parses (CRIU 3.x and 4.x):
 *   criu --version  ::= "Version: " MAJOR "." MINOR [ "." PATCH ] "\n" [ "GitID: " ID "\n" ]
 *   criu check      ::= { LOG-LINE "\n" } VERDICT "\n"
 *     VERDICT       ::= "Looks good." | "Looks good but some kernel features are missing" ... | error lines
 * LOG-LINE may be an error that does not fail the check: as root without
 * CAP_SYS_RESOURCE, criu logs "Can't setup RLIMIT_NOFILE"; on a first run with /run
 * not on tmpfs it warns "Can't keep kdat cache on non-tempfs". Only the verdict counts.
 */
import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import os from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ShimError } from '../errors.js';

const execFileAsync = promisify(execFile);

/** The oldest CRIU cr-shim accepts on a host, and why. */
export interface CriuFloor {
  major: number;
  minor: number;
  /** Why that floor, for doctor and for the refusal. */
  reason: string;
}

/**
 * The oldest CRIU that works on a host running `hostRelease` (the same floor as
 * scripts/setup-criu.sh). Since Linux 6.16 the kernel refuses SO_PASSCRED/SO_PASSSEC on
 * sockets other than unix, netlink and bluetooth, and CRIU 4.1 asks for them on every
 * internet socket at dump (CRIU issues 2705 and 2718, fixed in 4.2). Below 6.16, 4.1
 * suffices: older CRIUs cannot restore onto kernels that map [vvar_vclock] (3.17.1 fails
 * with "Unexpected rt vDSO area bounds" on 6.18) and miss fixes restores of older images need.
 */
export function criuFloor(hostRelease: string): CriuFloor {
  const [major = 0, minor = 0] = hostRelease.split(/[.-]/).map(Number);
  if (major > 6 || (major === 6 && minor >= 16)) {
    return {
      major: 4,
      minor: 2,
      reason: `Linux ${major}.${minor} (6.16+) refuses SO_PASSCRED/SO_PASSSEC on internet sockets and CRIU 4.1 cannot dump a process holding one (CRIU issues 2705, 2718; fixed in 4.2)`,
    };
  }
  return { major: 4, minor: 1, reason: 'older CRIUs cannot restore onto kernels that map [vvar_vclock] and lack fixes restores of older images need' };
}

const FIX = 'run scripts/setup-criu.sh or pass --criu PATH';

export type CriuSource = 'flag' | 'env' | 'private-root' | 'PATH';

export interface CriuBinary {
  path: string;
  /** As printed by `criu --version`, e.g. "4.1.1". */
  version: string;
  source: CriuSource;
  /** The Debian suite scripts/setup-criu.sh took it from (its root's .suite file), if known. */
  suite?: string;
  /** The floor it was vetted against on this host. */
  floor: CriuFloor;
}

export interface CriuCheck {
  /** The verdict line was exactly "Looks good.". */
  ok: boolean;
  /** stdout and stderr of `criu check`, in that order. */
  output: string;
}

// src/criu/binary.ts and dist/criu/binary.js are both two levels below the repository.
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The wrapper scripts/setup-criu.sh writes: `${CR_SHIM_CRIU_ROOT:-<repo>/.cache/criu-root}/criu`. */
export function privateRootCriu(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.CR_SHIM_CRIU_ROOT || join(REPO_ROOT, '.cache', 'criu-root');
  return join(root, 'criu');
}

/**
 * Find the criu to run, in order: the --criu flag, $CR_SHIM_CRIU, the private root
 * built by scripts/setup-criu.sh, then PATH. A flag or env value that does not work
 * is an error, not a reason to look further. Throws ShimError (code 'ECRIU') when
 * nothing is found or the criu found is older than criuFloor(hostRelease).
 */
export async function locateCriu(opts: { explicit?: string; hostRelease?: string } = {}): Promise<CriuBinary> {
  const env = process.env;
  let candidate: { path: string; source: CriuSource } | undefined;
  if (opts.explicit !== undefined) {
    candidate = { path: opts.explicit, source: 'flag' };
  } else if (env.CR_SHIM_CRIU) {
    candidate = { path: env.CR_SHIM_CRIU, source: 'env' };
  } else if (await isExecutable(privateRootCriu(env))) {
    candidate = { path: privateRootCriu(env), source: 'private-root' };
  } else {
    const onPath = await findOnPath('criu', env.PATH ?? '');
    if (onPath !== undefined) candidate = { path: onPath, source: 'PATH' };
  }
  if (candidate === undefined) {
    throw new ShimError('locate criu', `no criu found (not in ${privateRootCriu(env)} nor on PATH): ${FIX}`, {
      code: 'ECRIU',
    });
  }
  const { path, source } = candidate;
  if (!(await isExecutable(path))) {
    throw new ShimError('locate criu', `criu ${path} (from ${describe(source)}) is missing or not executable: ${FIX}`, {
      code: 'ECRIU',
    });
  }
  const version = await criuVersion(path);
  const floor = criuFloor(opts.hostRelease ?? os.release());
  if (!atLeast(version, floor)) {
    throw new ShimError('locate criu', `criu ${path} (from ${describe(source)}) is version ${version}, older than ${floor.major}.${floor.minor} which this host needs (${floor.reason}): ${FIX}`, {
      code: 'ECRIU',
    });
  }
  const suite = await suiteOf(path);
  return { path, version, source, floor, ...(suite !== undefined ? { suite } : {}) };
}

/**
 * Refuse a criu older than the one that dumped the image: CRIU reads images of its own
 * version and older, not newer (4.1.1 restoring a 4.2.1 image fails with "vdso: ELF header
 * magic mismatch"). Throws ShimError (code 'ECRIU') naming both versions and the fix.
 */
export function assertCanRead(criu: CriuBinary, dumpedBy: string, imgDir: string): void {
  const problem = cannotRead(criu, dumpedBy, imgDir);
  if (problem === undefined) return;
  const [major = 0, minor = 0] = dumpedBy.split('.').map(Number);
  throw new ShimError('restore', problem, {
    code: 'ECRIU',
    hint: `use criu ${major}.${minor} or newer (scripts/setup-criu.sh provisions one; pass --criu PATH or set CR_SHIM_CRIU)`,
  });
}

/** Why `criu` cannot read an image `dumpedBy` made (same major.minor or newer reads it), or undefined when it can. Pure. */
export function cannotRead(criu: Pick<CriuBinary, 'path' | 'version' | 'source'>, dumpedBy: string, imgDir: string): string | undefined {
  const [major = 0, minor = 0] = dumpedBy.split('.').map(Number);
  if (atLeast(criu.version, { major, minor })) return undefined;
  return `${imgDir} was dumped by criu ${dumpedBy} and the criu at hand (${criu.path}, from ${describe(criu.source)}) is ${criu.version}: an older CRIU cannot read a newer one's images`;
}

/** The `.suite` file scripts/setup-criu.sh leaves next to the wrapper it writes. */
async function suiteOf(path: string): Promise<string | undefined> {
  try {
    const suite = (await readFile(join(dirname(path), '.suite'), 'utf8')).trim();
    return suite === '' ? undefined : suite;
  } catch {
    return undefined;
  }
}

/** The version `criu --version` prints, e.g. "4.1.1". Throws ShimError (code 'ECRIU') if it cannot be run or parsed. */
export async function criuVersion(path: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(path, ['--version'], { timeout: 10_000 }));
  } catch (cause) {
    throw new ShimError('criu --version', `${path}: ${errorText(cause)}: ${FIX}`, { cause, code: 'ECRIU' });
  }
  const match = /^Version:\s*(\d+\.\d+(?:\.\d+)?)/m.exec(stdout);
  if (match?.[1] === undefined) {
    throw new ShimError('criu --version', `${path} printed no "Version: X.Y" line: ${FIX}`, { code: 'ECRIU' });
  }
  return match[1];
}

/**
 * Run `criu check`. Kernel shortcomings are a value (ok false, output says why);
 * only failing to run criu at all throws ShimError (code 'ECRIU').
 */
export async function criuCheck(path: string): Promise<CriuCheck> {
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await execFileAsync(path, ['check'], { timeout: 60_000 }));
  } catch (cause) {
    // A non-zero exit still printed a verdict; only a criu that never ran is an error.
    const failed = cause as { code?: unknown; stdout?: unknown; stderr?: unknown };
    if (typeof failed.code !== 'number') {
      throw new ShimError('criu check', `${path}: ${errorText(cause)}`, { cause, code: 'ECRIU' });
    }
    stdout = String(failed.stdout ?? '');
    stderr = String(failed.stderr ?? '');
  }
  const output = stdout + stderr;
  return { ok: /^Looks good\.$/m.test(output), output };
}

function atLeast(version: string, min: { major: number; minor: number }): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > min.major || (major === min.major && minor >= min.minor);
}

function describe(source: CriuSource): string {
  switch (source) {
    case 'flag':
      return '--criu';
    case 'env':
      return 'CR_SHIM_CRIU';
    case 'private-root':
      return 'the private root';
    case 'PATH':
      return 'PATH';
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, pathVar: string): Promise<string | undefined> {
  for (const dir of pathVar.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function errorText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
