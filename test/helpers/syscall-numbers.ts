/**
 * Syscall numbers for tests of the test programs, read from the host's uapi
 * headers (the source the C programs compile against), so no test spells a
 * number. Tests of cr-shim itself should look numbers up in tables/ instead.
 *
 *   HEADER ::= { LINE }
 *   LINE   ::= "#define __NR_" NAME " " NUMBER | other
 */
import { readFileSync } from 'node:fs';

import type { ProgramAbi } from './programs.js';

const HEADERS: Record<ProgramAbi, string> = {
  x86_64: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
  ia32: '/usr/include/x86_64-linux-gnu/asm/unistd_32.h',
};

const cache = new Map<ProgramAbi, Map<string, number>>();

/** The number of syscall `name` on `abi`; throws if the header lacks it. */
export function hostSyscallNumber(name: string, abi: ProgramAbi = 'x86_64'): number {
  let table = cache.get(abi);
  if (table === undefined) {
    table = new Map();
    for (const match of readFileSync(HEADERS[abi], 'utf8').matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)) {
      table.set(match[1] ?? '', Number(match[2]));
    }
    cache.set(abi, table);
  }
  const nr = table.get(name);
  if (nr === undefined) throw new Error(`no __NR_${name} in ${HEADERS[abi]}`);
  return nr;
}
