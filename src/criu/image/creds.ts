/*
 * A task's credentials: creds_entry (images/creds.proto), inside thread_core (core.ts) or, in
 * images from before CRIU moved it there, alone in creds-PID.img. Field numbers used here:
 *
 *   creds_entry ::= 1..8 uid gid euid egid suid sgid fsuid fsgid: uint32
 *                 | 9 cap_inh | 10 cap_prm | 11 cap_eff | 12 cap_bnd | 19 cap_amb
 *                                       repeated uint32: a capability set as 32-bit words,
 *                                       lowest first (CRIU writes two: caps 0..63)
 *                 | 13 secbits: uint32  | 18 no_new_privs: uint32
 *                 | other fields, kept byte for byte
 *
 * CRIU's restorer applies the sets with capset(2) and PR_CAP_AMBIENT_RAISE after trimming the
 * bounding set: a permitted, effective, inheritable or ambient capability that the restoring
 * root lacks makes capset fail with EPERM and the restore with it.
 */
import type { WireMessage } from './protobuf-wire.js';

export const CAP_SETS = ['inh', 'prm', 'eff', 'bnd', 'amb'] as const;
export type CapSet = (typeof CAP_SETS)[number];

const FIELD: Readonly<Record<CapSet, number>> = { inh: 9, prm: 10, eff: 11, bnd: 12, amb: 19 };

export type CapSets = Record<CapSet, bigint>;

/** Each capability set as a bit mask (bit N = capability N). Absent sets are 0. */
export function readCaps(creds: WireMessage): CapSets {
  const out = {} as CapSets;
  for (const set of CAP_SETS) {
    out[set] = creds.repeatedUint(FIELD[set]).reduce((acc, word, i) => acc | (BigInt(word >>> 0) << BigInt(32 * i)), 0n);
  }
  return out;
}

/** Clear `drop` from every set present in `creds`, keeping each set's word count and encoding. */
export function dropCaps(creds: WireMessage, drop: bigint): void {
  for (const set of CAP_SETS) {
    const words = creds.repeatedUint(FIELD[set]);
    if (words.length === 0) continue;
    creds.setRepeatedUint(
      FIELD[set],
      words.map((w, i) => Number((BigInt(w >>> 0) & ~(drop >> BigInt(32 * i))) & 0xffff_ffffn)),
    );
  }
}
