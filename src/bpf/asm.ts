/**
 * Assembly of the notation disasm.ts prints (seccomp-tools' style).
 *
 *   PROGRAM  ::= { LINE NEWLINE }
 *   LINE     ::= [ PC ':' ] [ RAW ] [ STMT ] [ '#' COMMENT ]
 *              | HEADER | RULE | ''                          (skipped)
 *   PC       ::= DIGITS                   must equal the insn's index
 *   RAW      ::= HEX HEX HEX HEX          code jt jf k
 *   STMT     ::= 'A' '=' ( FIELD | VALUE | 'X' | 'mem[' N ']' | 'data_len' | '-A' )
 *              | 'X' '=' ( VALUE | 'A' | 'mem[' N ']' | 'data_len' )
 *              | 'mem[' N ']' '=' ( 'A' | 'X' )
 *              | 'A' ALUOP '=' ( VALUE | 'X' )          ALUOP ::= + - * / % & | ^ << >>
 *              | 'goto' TARGET
 *              | 'if' '(' COND ')' 'goto' TARGET [ 'else' 'goto' TARGET ]
 *              | 'return' ( 'A' | ACTION [ '(' N ')' ] | VALUE )
 *              | '???' ...                                (needs RAW)
 *   FIELD    ::= 'sys_number' | 'arch' | 'instruction_pointer' [ '>>' '32' ]
 *              | 'args[' 0-5 ']' [ '>>' '32' ] | 'data[' N ']'
 *   COND     ::= 'A' ( '==' | '!=' | '>' | '<=' | '>=' | '<' ) OPERAND
 *              | 'A' '&' OPERAND | '!' '(' 'A' '&' OPERAND ')'
 *   OPERAND  ::= VALUE | 'X'
 *   VALUE    ::= HEX | DECIMAL | ARCH_SYMBOL | SYSCALL_NAME  (named for the arch in force)
 *   TARGET   ::= DIGITS                   absolute insn index, forward only
 *   ACTION   ::= KILL_PROCESS | KILL_THREAD | KILL | TRAP | ERRNO | USER_NOTIF | TRACE | LOG | ALLOW
 *
 * With both RAW and STMT, the statement decides every field its opcode uses;
 * fields the opcode ignores come from RAW (when RAW has the same opcode), so
 * asm(disasm(x)) reproduces x byte for byte.
 */
import { AUDIT_ARCH } from '../arch.js';
import type { Arch } from '../arch.js';
import { BpfError } from '../errors.js';
import { FlowTracker } from './flow.js';
import type { FlowState } from './flow.js';
import {
  BPF_A, BPF_ABS, BPF_ALU, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K,
  BPF_LD, BPF_LDX, BPF_LEN, BPF_MEM, BPF_MISC, BPF_NEG, BPF_RET, BPF_ST, BPF_STX, BPF_TAX, BPF_TXA,
  BPF_W, BPF_X, SECCOMP_DATA, SECCOMP_RET, isConditionalJump, usesK,
} from './insn.js';
import type { Insn, SeccompAction } from './insn.js';
import { ALU_SYMBOL, ARCH_SYMBOL, HEADER, RULE } from './notation.js';
import type { SyscallNumber } from './notation.js';

export interface AsmOptions {
  /** Resolves syscall names compared while A holds nr, for the arch in force. */
  syscallNumber?: SyscallNumber;
  /** Arch assumed before the filter checks one. */
  arch?: Arch;
}

class LineError extends Error {}

const NUM = /^(0x[0-9a-f]+|\d+)$/i;
const RAW = /^(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)(?:\s+|$)/i;

function num(s: string, max: number, what: string): number {
  if (!NUM.test(s)) throw new LineError(`bad ${what} '${s}'`);
  const v = Number(s);
  if (!Number.isSafeInteger(v) || v < 0 || v > max) throw new LineError(`${what} ${s} out of range`);
  return v;
}

const ARCH_BY_SYMBOL = new Map(Object.entries(ARCH_SYMBOL).map(([arch, sym]) => [sym, arch as Arch]));

function value(s: string, state: FlowState, opts: AsmOptions): number {
  if (NUM.test(s)) return num(s, 0xffffffff, 'value');
  const arch = ARCH_BY_SYMBOL.get(s);
  if (arch) return AUDIT_ARCH[arch];
  if (/^[a-z_][a-z0-9_]*$/i.test(s)) {
    if (state.a !== 'nr') throw new LineError(`name '${s}' where A does not hold the syscall number`);
    if (state.arch === undefined) throw new LineError(`syscall name '${s}' but no arch is in force here`);
    if (!opts.syscallNumber) throw new LineError(`syscall name '${s}' but no resolver was given`);
    const nr = opts.syscallNumber(state.arch, s);
    if (nr === undefined) throw new LineError(`unknown ${state.arch} syscall '${s}'`);
    return nr;
  }
  throw new LineError(`bad value '${s}'`);
}

function field(s: string): number | undefined {
  const ip = /^instruction_pointer(\s*>>\s*32)?$/.exec(s);
  if (ip) return SECCOMP_DATA.instructionPointer + (ip[1] ? 4 : 0);
  const arg = /^args\[([0-5])\](\s*>>\s*32)?$/.exec(s);
  if (arg) return SECCOMP_DATA.arg(Number(arg[1])) + (arg[2] ? 4 : 0);
  const data = /^data\[(\d+)\]$/.exec(s);
  if (data) return num(data[1]!, 0xffffffff, 'offset');
  if (s === 'sys_number') return SECCOMP_DATA.nr;
  if (s === 'arch') return SECCOMP_DATA.arch;
  return undefined;
}

function target(s: string, pc: number, max: number): number {
  const t = num(s, Number.MAX_SAFE_INTEGER, 'goto target');
  const off = t - pc - 1;
  if (off < 0) throw new LineError(`goto ${s} is not forward (from ${pc})`);
  if (off > max) throw new LineError(`goto ${s} is ${off} insns away (a conditional jump reaches ${max})`);
  return off;
}

const RET_ACTIONS: Record<string, SeccompAction> = {
  KILL_PROCESS: 'KILL_PROCESS', KILL_THREAD: 'KILL_THREAD', KILL: 'KILL_THREAD', TRAP: 'TRAP',
  ERRNO: 'ERRNO', USER_NOTIF: 'USER_NOTIF', TRACE: 'TRACE', LOG: 'LOG', ALLOW: 'ALLOW',
};

function returnValue(s: string): number {
  const m = /^([A-Z_]+)(?:\s*\(\s*(\S+?)\s*\))?$/.exec(s);
  const action = m ? RET_ACTIONS[m[1]!] : undefined;
  if (m && action) return (SECCOMP_RET[action] | (m[2] ? num(m[2], 0xffff, 'return data') : 0)) >>> 0;
  return num(s, 0xffffffff, 'return value');
}

const JUMP_OPS: Record<string, [number, boolean]> = {
  '==': [BPF_JEQ, false], '!=': [BPF_JEQ, true], '>': [BPF_JGT, false], '<=': [BPF_JGT, true],
  '>=': [BPF_JGE, false], '<': [BPF_JGE, true],
};

function condJump(cond: string, t: string, f: string | undefined, pc: number, state: FlowState, opts: AsmOptions): Insn {
  let op: number;
  let negated: boolean;
  let operand: string;
  const cmp = /^A\s*(==|!=|>=|<=|>|<)\s*(\S+)$/.exec(cond);
  const set = /^A\s*&\s*(\S+)$/.exec(cond);
  const unset = /^!\s*\(\s*A\s*&\s*(\S+)\s*\)$/.exec(cond);
  if (cmp) [op, negated, operand] = [...JUMP_OPS[cmp[1]!]!, cmp[2]!];
  else if (set) [op, negated, operand] = [BPF_JSET, false, set[1]!];
  else if (unset) [op, negated, operand] = [BPF_JSET, true, unset[1]!];
  else throw new LineError(`bad condition '${cond}'`);
  const src = operand === 'X' ? BPF_X : BPF_K;
  const k = src === BPF_X ? 0 : value(operand, state, opts);
  const first = target(t, pc, 255);
  const second = f === undefined ? 0 : target(f, pc, 255);
  const [jt, jf] = negated ? [second, first] : [first, second];
  return { code: BPF_JMP | op | src, jt, jf, k };
}

function parseStatement(s: string, pc: number, state: FlowState, opts: AsmOptions): Insn {
  const ins = (code: number, k = 0): Insn => ({ code, jt: 0, jf: 0, k: k >>> 0 });
  let m: RegExpExecArray | null;
  if ((m = /^return\s+(.+)$/.exec(s))) return m[1] === 'A' ? ins(BPF_RET | BPF_A) : ins(BPF_RET | BPF_K, returnValue(m[1]!));
  if ((m = /^if\s*\((.+)\)\s*goto\s+(\d+)(?:\s+else\s+goto\s+(\d+))?$/.exec(s))) {
    return condJump(m[1]!.trim(), m[2]!, m[3], pc, state, opts);
  }
  if ((m = /^goto\s+(\d+)$/.exec(s))) return ins(BPF_JMP | BPF_JA, target(m[1]!, pc, 0xffffffff));
  if ((m = /^mem\[(\d+)\]\s*=\s*(A|X)$/.exec(s))) return ins(m[2] === 'A' ? BPF_ST : BPF_STX, num(m[1]!, 0xffffffff, 'index'));
  if ((m = /^A\s*(\+|-|\*|\/|%|&|\||\^|<<|>>)=\s*(\S+)$/.exec(s))) {
    const op = [...ALU_SYMBOL].find(([, sym]) => sym === m![1])![0];
    return m[2] === 'X' ? ins(BPF_ALU | op | BPF_X) : ins(BPF_ALU | op | BPF_K, num(m[2]!, 0xffffffff, 'operand'));
  }
  if ((m = /^(A|X)\s*=\s*(.+)$/.exec(s))) {
    const reg = m[1]!;
    const rhs = m[2]!.trim();
    const cls = reg === 'A' ? BPF_LD : BPF_LDX;
    if (reg === 'A' && rhs === '-A') return ins(BPF_ALU | BPF_NEG);
    if (reg === 'A' && rhs === 'X') return ins(BPF_MISC | BPF_TXA);
    if (reg === 'X' && rhs === 'A') return ins(BPF_MISC | BPF_TAX);
    if (rhs === 'data_len') return ins(cls | BPF_W | BPF_LEN);
    const mem = /^mem\[(\d+)\]$/.exec(rhs);
    if (mem) return ins(cls | BPF_MEM, num(mem[1]!, 0xffffffff, 'index'));
    const off = reg === 'A' ? field(rhs) : undefined;
    if (off !== undefined) return ins(BPF_LD | BPF_W | BPF_ABS, off);
    return ins(cls | BPF_IMM, num(rhs, 0xffffffff, 'immediate'));
  }
  throw new LineError(`cannot parse '${s}'`);
}

/**
 * Assemble text in disasm()'s notation. Throws BpfError naming the 1-based
 * line and the reason; `pc` is the insn index being assembled.
 */
export function asm(text: string, opts: AsmOptions = {}): Insn[] {
  const insns: Insn[] = [];
  const flow = new FlowTracker(opts.arch);
  text.split('\n').forEach((raw, i) => {
    const pc = insns.length;
    try {
      let line = raw.replace(/#.*$/, '').trim();
      if (line === '' || line === HEADER.trim() || line === RULE) return;
      const pcm = /^(\d+):\s*/.exec(line);
      if (pcm) {
        if (Number(pcm[1]) !== pc) throw new LineError(`line says insn ${pcm[1]} but it is insn ${pc}`);
        line = line.slice(pcm[0].length);
      }
      let rawInsn: Insn | undefined;
      const rm = RAW.exec(line);
      if (rm) {
        rawInsn = {
          code: num(rm[1]!, 0xffff, 'code'), jt: num(rm[2]!, 0xff, 'jt'), jf: num(rm[3]!, 0xff, 'jf'),
          k: num(rm[4]!, 0xffffffff, 'k'),
        };
        line = line.slice(rm[0].length).trim();
      }
      let insn: Insn;
      if (line === '' || line.startsWith('???')) {
        if (!rawInsn) throw new LineError(line === '' ? 'empty statement' : 'unknown opcode needs the raw CODE JT JF K columns');
        insn = rawInsn;
      } else {
        insn = parseStatement(line, pc, flow.at(pc), opts);
        if (rawInsn && rawInsn.code === insn.code) {
          // Keep the bytes of fields this opcode ignores.
          if (!isConditionalJump(insn.code)) [insn.jt, insn.jf] = [rawInsn.jt, rawInsn.jf];
          if (!usesK(insn.code)) insn.k = rawInsn.k;
        }
      }
      insns.push(insn);
      flow.step(pc, insn);
    } catch (cause) {
      if (!(cause instanceof LineError)) throw cause;
      throw new BpfError('bpf asm', `line ${i + 1}: ${cause.message}`, { pc, cause });
    }
  });
  return insns;
}
