/** Filters as users hand them in (src/bpf/input.ts): raw or text, errors naming the input. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { asm } from '../../src/bpf/asm.js';
import { encode } from '../../src/bpf/encode.js';
import { assembleInput, decodeInput, isRaw, loadInput, readInput, validateInput } from '../../src/bpf/input.js';
import { BpfError } from '../../src/errors.js';

const TEXT = 'A = sys_number\nif (A == 0x1) goto 0003\nreturn ALLOW\nreturn ERRNO(1)\n';
const RAW = encode(asm(TEXT));
const input = (bytes: Buffer | string, name = 'f.bpf') => ({ name, bytes: Buffer.from(bytes) });

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof BpfError) return e.message;
    throw e;
  }
  throw new Error('expected a BpfError');
}

describe('isRaw', () => {
  it('a raw filter always holds a NUL byte (its final RET\'s code); text never does', () => {
    expect(isRaw(RAW)).toBe(true);
    expect(isRaw(Buffer.from(TEXT))).toBe(false);
    expect(isRaw(encode(asm('return A')))).toBe(true);
  });
});

describe('loadInput', () => {
  it('takes raw bytes and text alike', () => {
    expect(loadInput('t', input(RAW))).toEqual(asm(TEXT));
    expect(loadInput('t', input(TEXT))).toEqual(asm(TEXT));
  });
});

describe('refusals name the input', () => {
  it.each([
    ['empty', () => decodeInput('t', input('')), 'f.bpf: empty (no instructions)'],
    ['truncated', () => decodeInput('t', input(RAW.subarray(0, 13))), 'f.bpf: 13 bytes is not a whole number of 8-byte instructions (truncated?)'],
    ['binary given to asm', () => assembleInput('t', input(RAW)), 'f.bpf: holds binary data, not the text notation'],
    ['a bad line', () => assembleInput('t', input('A = sys_number\nA = banana\nreturn ALLOW\n')), "f.bpf: line 2: bad immediate 'banana'"],
    ['only comments', () => assembleInput('t', input('# nothing\n')), 'f.bpf: no instructions'],
    ['invalid program', () => validateInput('t', input(RAW), [...asm(TEXT), ...asm('A = sys_number')]), 'f.bpf: insn 4: no final return'],
  ])('%s', (_what, fn, text) => expect(message(fn)).toBe(text));
});

describe('readInput', () => {
  it('reads a file, and names a missing one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-input-'));
    const file = path.join(dir, 'f.bpf');
    fs.writeFileSync(file, RAW);
    expect((await readInput('t', file)).bytes).toEqual(RAW);
    await expect(readInput('t', path.join(dir, 'none'))).rejects.toThrow(`${path.join(dir, 'none')}: no such file`);
    await expect(readInput('t', dir)).rejects.toThrow(`${dir}: is a directory`);
  });
});
