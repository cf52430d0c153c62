/**
 * Raw form of a filter, as passed in struct sock_fprog.filter.
 *
 * Grammar: FILTER ::= { INSN }   INSN ::= CODE:u16le JT:u8 JF:u8 K:u32le   (8 bytes)
 */
import { BpfError } from '../errors.js';
import type { Insn } from './insn.js';

export const INSN_SIZE = 8;

/** Encode instructions to their kernel byte layout (little-endian, 8 bytes each). */
export function encode(insns: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(insns.length * INSN_SIZE);
  insns.forEach((insn, pc) => {
    const o = pc * INSN_SIZE;
    if (!fits(insn.code, 0xffff) || !fits(insn.jt, 0xff) || !fits(insn.jf, 0xff) || !fits(insn.k >>> 0, 0xffffffff)) {
      throw new BpfError('bpf encode', `insn ${pc}: field out of range (code ${insn.code}, jt ${insn.jt}, jf ${insn.jf})`, { pc });
    }
    buf.writeUInt16LE(insn.code, o);
    buf.writeUInt8(insn.jt, o + 2);
    buf.writeUInt8(insn.jf, o + 3);
    buf.writeUInt32LE(insn.k >>> 0, o + 4);
  });
  return buf;
}

function fits(v: number, max: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= max;
}

/** Decode raw bytes to instructions. Throws BpfError if the length is not a multiple of 8. */
export function decode(bytes: Uint8Array): Insn[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new BpfError('bpf decode', `length ${bytes.length} is not a multiple of ${INSN_SIZE}`);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const insns: Insn[] = [];
  for (let o = 0; o < buf.length; o += INSN_SIZE) {
    insns.push({
      code: buf.readUInt16LE(o),
      jt: buf.readUInt8(o + 2),
      jf: buf.readUInt8(o + 3),
      k: buf.readUInt32LE(o + 4),
    });
  }
  return insns;
}
