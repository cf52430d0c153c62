/**
 * The native front's records (src/supervisor/front-records.ts): TAG:u32 LEN:u32 BODY, little-endian.
 * Each case is the bytes (hex, spaces for reading) and the records they hold, or the fault.
 */
import { describe, expect, it } from 'vitest';
import { decodeRecords, encodeRecords, FrontRecordError, MAX_RECORD_BODY, placedRecords, RecordReader, type FrontRecord } from '../../src/supervisor/front-records.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
/** tag and body as hex, for readable expectations. */
const shown = (rs: FrontRecord[]): { tag: number; body: string }[] => rs.map((r) => ({ tag: r.tag, body: Buffer.from(r.body).toString('hex') }));
const over = Buffer.alloc(4);
over.writeUInt32LE(MAX_RECORD_BODY + 1);

const WHOLE: { why: string; bytes: string; records: { tag: number; body: string }[] }[] = [
  { why: 'nothing', bytes: '', records: [] },
  { why: 'END alone', bytes: '00000000 00000000', records: [{ tag: 0, body: '' }] },
  { why: 'WORKER {}', bytes: '0b000000 02000000 7b7d', records: [{ tag: 11, body: '7b7d' }] },
  {
    why: 'ACTIONS, HELD, END in order',
    bytes: '09000000 03000000 010203  0c000000 09000000 aabbccdd 0102030405  00000000 00000000',
    records: [
      { tag: 9, body: '010203' },
      { tag: 12, body: 'aabbccdd0102030405' },
      { tag: 0, body: '' },
    ],
  },
  { why: 'a tag above 2^31 (u32, not i32)', bytes: 'ffffffff 01000000 2a', records: [{ tag: 0xffffffff, body: '2a' }] },
  { why: 'an empty body among others', bytes: '05000000 00000000 05000000 01000000 41', records: [{ tag: 5, body: '' }, { tag: 5, body: '41' }] },
];

const DAMAGED: { why: string; bytes: string; error: RegExp }[] = [
  { why: 'a header cut short', bytes: '0b000000 0200', error: /^trailing bytes at 0$/ },
  { why: 'a body cut short', bytes: '0b000000 02000000 7b', error: /^tag 11 at 0: short record \(2 bytes promised\)$/ },
  { why: 'bytes after a whole record', bytes: '00000000 00000000 00', error: /^trailing bytes at 8$/ },
  { why: 'a length past the end, after a whole record', bytes: `05000000 00000000 0b000000 ${over.toString('hex')}`, error: new RegExp(`^tag 11 at 8: short record \\(${MAX_RECORD_BODY + 1} bytes promised\\)$`) },
];

describe('decodeRecords', () => {
  it.each(WHOLE)('reads $why', ({ bytes, records }) => {
    expect(shown(decodeRecords(hex(bytes)))).toEqual(records);
  });

  it.each(DAMAGED)('refuses $why', ({ bytes, error }) => {
    expect(() => decodeRecords(hex(bytes))).toThrow(FrontRecordError);
    expect(() => decodeRecords(hex(bytes))).toThrow(error);
  });
});

describe('placedRecords', () => {
  it('gives each record its offset, from the start asked, and stops at the first fault only when it reaches it', () => {
    const bytes = hex('aabbccdd 05000000 01000000 41 0b000000 09000000 7b');
    const it = placedRecords(bytes, 4);
    expect(it.next().value).toMatchObject({ tag: 5, at: 4, body: Buffer.from('A') });
    expect(() => it.next()).toThrow(/^tag 11 at 13: short record \(9 bytes promised\)$/);
  });
});

describe('encodeRecords', () => {
  it.each(WHOLE)('writes $why as those bytes', ({ bytes, records }) => {
    const encoded = encodeRecords(records.map((r) => ({ tag: r.tag, body: hex(r.body) })));
    expect(encoded.toString('hex')).toBe(hex(bytes).toString('hex'));
  });

  it.each([
    { why: 'a negative tag', tag: -1 },
    { why: 'a tag over u32', tag: 2 ** 32 },
    { why: 'a fractional tag', tag: 1.5 },
  ])('refuses $why', ({ tag }) => {
    expect(() => encodeRecords([{ tag, body: new Uint8Array(0) }])).toThrow(/is not a u32/);
  });
});

describe('RecordReader', () => {
  it.each(WHOLE)('reads $why one byte at a time as in one piece', ({ bytes, records }) => {
    const reader = new RecordReader();
    const got: FrontRecord[] = [];
    for (const b of hex(bytes)) got.push(...reader.push(Uint8Array.of(b)));
    expect(shown(got)).toEqual(records);
    expect(reader.buffered).toBe(0);
  });

  it('keeps a body apart from the bytes pushed after it', () => {
    const reader = new RecordReader();
    const [first] = reader.push(hex('0b000000 02000000 7b7d 0b00'));
    reader.push(hex('0000 02000000 5b5d'));
    expect(Buffer.from(first!.body).toString()).toBe('{}');
  });

  it('refuses an oversized length as soon as the header is in', () => {
    const reader = new RecordReader();
    reader.push(hex('05000000 00000000'));
    expect(() => reader.push(hex(`0b000000 ${over.toString('hex')}`))).toThrow(new RegExp(`^tag 11 at 8: ${MAX_RECORD_BODY + 1} bytes promised, over ${MAX_RECORD_BODY}$`));
  });
});
