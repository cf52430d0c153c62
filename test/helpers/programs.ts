/**
 * Paths of the test programs built by `make -C test/programs` (see
 * test/programs/README.md for what each one does and prints).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PROGRAMS_SRC_DIR = path.join(REPO_ROOT, 'test', 'programs');
export const PROGRAMS_BIN_DIR = path.join(PROGRAMS_SRC_DIR, 'bin');

export const PROGRAM_NAMES = [
  'uname',
  'legacy-sysctl',
  'proc-identity',
  'syscall',
  'threads',
  'tree',
  'signals',
  'loop',
  'loop-mt',
  'sleeper',
  'cr-subject',
  'own-filter',
  'holders',
  'sockopt',
  'net-server',
  'uts-switch',
  'stamp',
  'strict-mode',
  'identity-leaks',
  'sendfile-proc',
  'vdso-note',
  'exec-rw',
  'tiocsti',
  'gid-map',
  'rw-hint',
  'open-direct',
  'statx-mask',
] as const;
export type ProgramName = (typeof PROGRAM_NAMES)[number];

/** Programs that also have an ia32 build, `<name>-32`. */
export const PROGRAMS_IA32 = ['uname', 'legacy-sysctl', 'syscall'] as const satisfies readonly ProgramName[];
export type Ia32ProgramName = (typeof PROGRAMS_IA32)[number];

export type ProgramAbi = 'x86_64' | 'ia32';

/**
 * Absolute path of a built test program. Throws if the program has no build
 * for `abi` or was not built (global setup runs make before any test file).
 */
export function programPath(name: ProgramName, abi: ProgramAbi = 'x86_64'): string {
  if (abi === 'ia32' && !(PROGRAMS_IA32 as readonly string[]).includes(name)) {
    throw new Error(`test program ${name} has no ia32 build (ia32 builds: ${PROGRAMS_IA32.join(', ')})`);
  }
  const file = path.join(PROGRAMS_BIN_DIR, abi === 'ia32' ? `${name}-32` : name);
  if (!existsSync(file)) {
    throw new Error(`test program ${file} is missing: run make -C test/programs`);
  }
  return file;
}
