/**
 * The protobuf wire format reader and writer: VARINT rows as data, edits that keep unknown
 * fields byte for byte, and every message of a real CRIU 4.1 image re-encoding to its own bytes.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bytesField,
  decodeFields,
  decodeVarint,
  encodeVarint,
  fixed32Field,
  fixed64Field,
  varintField,
  WireFormatError,
  WireMessage,
} from '../../src/criu/image/protobuf-wire.js';

const cases = JSON.parse(fs.readFileSync(new URL('./cases/varints.json', import.meta.url), 'utf8')) as {
  rows: { value: string; hex: string }[];
  bad: { hex: string; error: string }[];
};

describe('varint', () => {
  it.each(cases.rows)('$value encodes as $hex and decodes back', ({ value, hex }) => {
    expect(encodeVarint(BigInt(value)).toString('hex')).toBe(hex);
    const d = decodeVarint(Buffer.from(hex, 'hex'), 0);
    expect(d.value).toBe(BigInt.asUintN(64, BigInt(value)));
    expect(d.next).toBe(hex.length / 2);
  });

  it.each(cases.bad)('$hex is refused: $error', ({ hex, error }) => {
    expect(() => decodeVarint(Buffer.from(hex, 'hex'), 0)).toThrow(new RegExp(error));
  });
});

describe('messages', () => {
  // field 1 varint 150, field 2 string "testing", field 99 fixed32, field 100 fixed64 (unknown to any view)
  const sample = Buffer.concat([
    varintField(1, 150).raw,
    bytesField(2, Buffer.from('testing')).raw,
    fixed32Field(99, 0xdeadbeef).raw,
    fixed64Field(100, 0x0123456789abcdefn).raw,
  ]);

  it('decodes the protobuf documentation examples', () => {
    expect(varintField(1, 150).raw.toString('hex')).toBe('089601');
    expect(bytesField(2, Buffer.from('testing')).raw.toString('hex')).toBe('120774657374696e67');
    const m = WireMessage.decode(sample);
    expect(m.uint(1)).toBe(150);
    expect(m.string(2)).toBe('testing');
    expect(m.uint(99)).toBe(0xdeadbeef);
    expect(m.uint64(100)).toBe(0x0123456789abcdefn);
  });

  it('an untouched message re-encodes byte for byte, an edit keeps unknown fields in place', () => {
    const m = WireMessage.decode(sample);
    expect(m.encode().equals(sample)).toBe(true);
    m.setUint(1, 7);
    const again = WireMessage.decode(m.encode());
    expect(again.fields.map((f) => f.no)).toEqual([1, 2, 99, 100]);
    expect(again.uint(1)).toBe(7);
    expect(again.all(99)[0]!.raw.equals(fixed32Field(99, 0xdeadbeef).raw)).toBe(true);
  });

  it('reads repeated uint32 packed and unpacked, and keeps the form it found when writing', () => {
    const unpacked = new WireMessage([varintField(10, 1), varintField(10, 2)]);
    const packed = new WireMessage([bytesField(10, Buffer.concat([encodeVarint(1), encodeVarint(2)]))]);
    expect(unpacked.repeatedUint(10)).toEqual([1, 2]);
    expect(packed.repeatedUint(10)).toEqual([1, 2]);
    unpacked.setRepeatedUint(10, [3, 4]);
    packed.setRepeatedUint(10, [3, 4]);
    expect(unpacked.fields.map((f) => f.type)).toEqual([0, 0]);
    expect(packed.fields.map((f) => f.type)).toEqual([2]);
    expect(unpacked.repeatedUint(10)).toEqual([3, 4]);
    expect(packed.repeatedUint(10)).toEqual([3, 4]);
  });

  it('the last of a repeated scalar wins; remove drops every occurrence', () => {
    const m = new WireMessage([varintField(3, 1), varintField(4, 9), varintField(3, 2)]);
    expect(m.uint(3)).toBe(2);
    m.remove(3);
    expect(m.has(3)).toBe(false);
    expect(m.uint(4)).toBe(9);
  });

  it.each([
    ['a length past the end', '0a05616263', 'runs past the end'],
    ['a group (wire type 3)', '0b', 'wire type 3'],
    ['field number 0', '0001', 'field number 0'],
    ['a truncated fixed64', '0901020304', 'runs past the end'],
  ])('refuses %s', (_what, hex, error) => {
    expect(() => decodeFields(Buffer.from(hex, 'hex'))).toThrow(WireFormatError);
    expect(() => decodeFields(Buffer.from(hex, 'hex'))).toThrow(new RegExp(error));
  });
});
