/**
 * A classic BPF interpreter with seccomp's semantics: the packet is struct
 * seccomp_data, LEN is its size, and division by a zero X returns 0 (the
 * kernel's cBPF-to-eBPF conversion makes the program exit with 0, which
 * seccomp reads as KILL_THREAD).
 */
import { BpfError } from '../errors.js';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP,
  BPF_JSET, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MEMWORDS, BPF_MISC, BPF_MOD, BPF_MUL,
  BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X,
  BPF_XOR, BPF_A, SECCOMP_DATA, SECCOMP_RET_DATA, actionOf, bpfClass, bpfMiscOp, bpfMode, bpfOp,
  bpfRval, bpfSize, bpfSrc,
} from './insn.js';
import type { Insn, SeccompAction } from './insn.js';

/** struct seccomp_data, with 64-bit fields as bigint. */
export interface SeccompData {
  nr: number;
  /** AUDIT_ARCH_* value. */
  arch: number;
  ip?: bigint;
  args?: readonly bigint[];
}

export interface Verdict {
  action: SeccompAction;
  /** SECCOMP_RET_DATA bits (errno for ERRNO). */
  data: number;
  /** The full 32-bit return value. */
  value: number;
  /** Every pc executed, in order, ending with the RET. */
  path: number[];
  /** pc of the RET that decided. */
  pc: number;
}

/** Serialise seccomp_data as the filter sees it (little-endian, 64 bytes). */
export function seccompDataBytes(d: SeccompData): Buffer {
  const buf = Buffer.alloc(SECCOMP_DATA.size);
  buf.writeInt32LE(d.nr | 0, SECCOMP_DATA.nr);
  buf.writeUInt32LE(d.arch >>> 0, SECCOMP_DATA.arch);
  buf.writeBigUInt64LE(BigInt.asUintN(64, d.ip ?? 0n), SECCOMP_DATA.instructionPointer);
  for (let i = 0; i < 6; i++) buf.writeBigUInt64LE(BigInt.asUintN(64, d.args?.[i] ?? 0n), SECCOMP_DATA.arg(i));
  return buf;
}

function fault(pc: number, reason: string): never {
  throw new BpfError('bpf emulate', `insn ${pc}: ${reason}`, { pc });
}

/**
 * Run a filter on one syscall. Expects a program that validate() accepts;
 * throws BpfError with the pc if execution leaves the program or meets an
 * opcode it cannot run.
 */
export function emulate(insns: readonly Insn[], data: SeccompData): Verdict {
  const packet = seccompDataBytes(data);
  const mem = new Uint32Array(BPF_MEMWORDS);
  let a = 0;
  let x = 0;
  const path: number[] = [];
  let pc = 0;
  for (;;) {
    const insn = insns[pc];
    if (insn === undefined) fault(pc, `fell off the end (length ${insns.length})`);
    path.push(pc);
    const { code, k } = insn;
    switch (bpfClass(code)) {
      case BPF_LD:
      case BPF_LDX: {
        const v = load(code, k, packet, mem, pc);
        if (bpfClass(code) === BPF_LD) a = v;
        else x = v;
        pc++;
        break;
      }
      case BPF_ST:
        mem[checkMem(k, pc)] = a;
        pc++;
        break;
      case BPF_STX:
        mem[checkMem(k, pc)] = x;
        pc++;
        break;
      case BPF_ALU:
        a = alu(bpfOp(code), a, bpfSrc(code) === BPF_X ? x : k, code, pc);
        if (a < 0) {
          // Division or modulo by a zero X: the program returns 0.
          const value = 0;
          return { ...describe(value), path, pc };
        }
        pc++;
        break;
      case BPF_JMP: {
        const op = bpfOp(code);
        if (op === BPF_JA) {
          pc += 1 + k;
          break;
        }
        const operand = bpfSrc(code) === BPF_X ? x : k;
        pc += 1 + (compare(op, a, operand, pc) ? insn.jt : insn.jf);
        break;
      }
      case BPF_RET: {
        const rval = bpfRval(code);
        const value = rval === BPF_A ? a : rval === 0 ? k >>> 0 : fault(pc, `return source ${rval} not K or A`);
        return { ...describe(value), path, pc };
      }
      case BPF_MISC:
        if (bpfMiscOp(code) === BPF_TAX) x = a;
        else if (bpfMiscOp(code) === BPF_TXA) a = x;
        else fault(pc, `unknown MISC opcode 0x${code.toString(16)}`);
        pc++;
        break;
    }
  }
}

function describe(value: number): { action: SeccompAction; data: number; value: number } {
  return { action: actionOf(value).action, data: value & SECCOMP_RET_DATA, value: value >>> 0 };
}

function checkMem(k: number, pc: number): number {
  if (k >= BPF_MEMWORDS) fault(pc, `scratch memory index ${k}`);
  return k;
}

function load(code: number, k: number, packet: Buffer, mem: Uint32Array, pc: number): number {
  const mode = bpfMode(code);
  if (mode === BPF_IMM) return k >>> 0;
  if (mode === BPF_MEM) return mem[checkMem(k, pc)]!;
  // seccomp_check_filter rewrites LEN to an immediate sizeof(struct seccomp_data).
  if (mode === BPF_LEN) return SECCOMP_DATA.size;
  if (mode === BPF_ABS && bpfClass(code) === BPF_LD && bpfSize(code) === BPF_W) {
    if (k % 4 !== 0 || k + 4 > SECCOMP_DATA.size) fault(pc, `load offset ${k} outside seccomp_data`);
    return packet.readUInt32LE(k);
  }
  return fault(pc, `load opcode 0x${code.toString(16)} not available to seccomp`);
}

/** 32-bit unsigned ALU; returns -1 for division by zero (the caller returns 0). */
function alu(op: number, a: number, v: number, code: number, pc: number): number {
  v >>>= 0;
  switch (op) {
    case BPF_ADD: return (a + v) >>> 0;
    case BPF_SUB: return (a - v) >>> 0;
    case BPF_MUL: return Math.imul(a, v) >>> 0;
    case BPF_DIV: return v === 0 ? -1 : Math.floor(a / v) >>> 0;
    case BPF_MOD: return v === 0 ? -1 : (a % v) >>> 0;
    case BPF_AND: return (a & v) >>> 0;
    case BPF_OR: return (a | v) >>> 0;
    case BPF_XOR: return (a ^ v) >>> 0;
    // Shift counts are masked to 5 bits, as the kernel interpreter and x86 JIT do
    // (shifts by a constant >= 32 are refused at load time).
    case BPF_LSH: return (a << (v & 31)) >>> 0;
    case BPF_RSH: return a >>> (v & 31);
    case BPF_NEG: return (-a) >>> 0;
  }
  return fault(pc, `unknown ALU opcode 0x${code.toString(16)}`);
}

function compare(op: number, a: number, v: number, pc: number): boolean {
  a >>>= 0;
  v >>>= 0;
  switch (op) {
    case BPF_JEQ: return a === v;
    case BPF_JGT: return a > v;
    case BPF_JGE: return a >= v;
    case BPF_JSET: return (a & v) !== 0;
  }
  return fault(pc, `unknown jump op 0x${op.toString(16)}`);
}
