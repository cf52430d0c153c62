import os from 'node:os';

/** errno name → number on this host (Linux x86_64: the same numbers for every ABI it runs). */
export const E = os.constants.errno as Record<string, number>;

/** Where two names share a number, the one the kernel's own headers use for the syscall answers. */
const PREFERRED: Record<number, string> = { 95: 'EOPNOTSUPP', 11: 'EAGAIN', 35: 'EDEADLK' };

export function errnoName(n: number): string {
  if (PREFERRED[n] !== undefined) return PREFERRED[n]!;
  for (const [k, v] of Object.entries(E)) if (v === n) return k;
  return `E${n}`;
}

/** Look up an errno by name; throws on a typo rather than answering with 0 (success). */
export function errno(name: string): number {
  const n = E[name];
  if (n === undefined) throw new Error(`unknown errno name ${name}`);
  return n;
}
