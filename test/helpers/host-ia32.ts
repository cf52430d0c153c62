/**
 * Whether this host can run ia32 programs. Kernels built with
 * IA32_EMULATION can still refuse them (`ia32_emulation=off`, or emulation
 * switched off at runtime: "32-bit emulation disabled" in dmesg), and exec
 * then fails with ENOEXEC. Probed by running the uname-32 test program, not
 * by reading the kernel config.
 */
import { spawnSync } from 'node:child_process';

import { programPath } from './programs.js';

let cached: boolean | undefined;

/** True when `uname-32` runs and reports abi=i386. Cached for the process. */
export function ia32Available(): boolean {
  if (cached === undefined) {
    // glibc's execvp retries ENOEXEC through /bin/sh, so a refused binary shows
    // up as a shell error status rather than as a spawn error.
    const probe = spawnSync(programPath('uname', 'ia32'), [], { encoding: 'utf8', timeout: 10_000 });
    cached = probe.status === 0 && /^abi=i386$/m.test(probe.stdout);
  }
  return cached;
}
