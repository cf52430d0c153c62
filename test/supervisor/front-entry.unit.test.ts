/**
 * The session cache's front entry (src/supervisor/front-entry.ts, docs/FRONT.md): the bytes of
 * a small entry as data, the records a compiled run gives, a round trip, and damaged entries
 * with the fault each must name. The entry a real `cr-shim run` writes is run-front-entry.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import type { NativeAction } from '../../src/native/addon-types.js';
import { decodeFrontEntry, encodeFrontEntry, frontEntryOf, FrontEntryError, type FrontEntry } from '../../src/supervisor/front-entry.js';
import { RUN } from './run-cache-fixture.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s).toString('hex');
const le32 = (n: number): string => Buffer.from(Uint32Array.of(n).buffer).toString('hex');
/** RECORD ::= TAG:u32 LEN:u32 BODY[LEN], BODY given as hex. */
const rec = (tag: number, body: string): string => `${le32(tag)} ${le32(body.replace(/\s+/g, '').length / 2)} ${body}`;
const HEADER = `${ascii('CRSHFRNT')} 01000000`;

const SMALL: FrontEntry = {
  key: 'k',
  deps: [{ path: '/t', state: 'absent' }],
  filter: Uint8Array.of(6, 0, 0, 0, 0, 0, 0xff, 0x7f),
  filterSha256: 'a'.repeat(64),
  notices: ['n'],
  identity: [['/i', 'I']],
  added: [['/a', 'A']],
  persona: { release: '4.19.0', mainline: '4.19' },
  actions: [Uint8Array.of(0x3e, 0, 0, 0xc0, 0, 0, 0, 0)],
  routes: [{ auditArch: AUDIT_ARCH.x86_64, nr: 63, name: 'uname' }],
  worker: '{}',
};

/** SMALL's bytes, record by record: the layout of docs/FRONT.md as data. */
const SMALL_RECORDS = [
  rec(1, ascii('k')),
  rec(2, `${ascii('/t')} 00 ${ascii('absent')}`),
  rec(3, '0600000000 00ff7f'),
  rec(4, ascii('a'.repeat(64))),
  rec(5, ascii('n')),
  rec(6, `${ascii('/i')} 00 ${ascii('I')}`),
  rec(7, `${ascii('/a')} 00 ${ascii('A')}`),
  rec(8, `${ascii('4.19.0')} 00 ${ascii('4.19')}`),
  rec(9, '3e0000c0 00000000'),
  rec(10, `3e0000c0 3f000000 ${ascii('uname')}`),
  rec(11, ascii('{}')),
];
const small = (records: string[] = SMALL_RECORDS): Buffer => hex(`${HEADER} ${records.join(' ')}`);
const without = (tag: number): string[] => SMALL_RECORDS.filter((r) => !r.startsWith(le32(tag)));

/** Damaged entries and the fault each must name. */
const DAMAGED: { name: string; bytes: Buffer; fault: string }[] = [
  { name: 'empty', bytes: Buffer.alloc(0), fault: 'not a front entry (magic)' },
  { name: 'another magic', bytes: hex(`${ascii('CRSHFRNX')} 01000000`), fault: 'not a front entry (magic)' },
  { name: 'another version', bytes: hex(`${ascii('CRSHFRNT')} 02000000 ${SMALL_RECORDS.join(' ')}`), fault: 'version 2, not 1' },
  { name: 'a record header cut short', bytes: Buffer.concat([small(), hex('0100')]), fault: 'trailing bytes' },
  { name: 'a record longer than the file', bytes: Buffer.concat([small(), hex(`05000000 ${le32(10)} 6e`)]), fault: `NOTICE at ${small().length}: short record (10 bytes promised)` },
  { name: 'an unknown tag', bytes: small([...SMALL_RECORDS, rec(13, '')]), fault: 'unknown tag 13' },
  { name: 'the hand-over\'s HELD', bytes: small([...SMALL_RECORDS, rec(12, '00')]), fault: 'unknown tag 12' },
  { name: 'the hand-over\'s END', bytes: small([...SMALL_RECORDS, rec(0, '')]), fault: 'unknown tag 0' },
  { name: 'no KEY', bytes: small(without(1)), fault: 'no KEY record' },
  { name: 'no FILTER', bytes: small(without(3)), fault: 'no FILTER record' },
  { name: 'no SHA256', bytes: small(without(4)), fault: 'no SHA256 record' },
  { name: 'no PERSONA', bytes: small(without(8)), fault: 'no PERSONA record' },
  { name: 'no WORKER', bytes: small(without(11)), fault: 'no WORKER record' },
  { name: 'two KEYs', bytes: small([...SMALL_RECORDS, rec(1, ascii('k'))]), fault: `KEY at ${small().length}: given twice` },
  { name: 'a FILTER of 7 bytes', bytes: small([rec(3, '06000000 0000ff'), ...without(3)]), fault: 'not a whole number of struct sock_filter' },
  { name: 'an empty FILTER', bytes: small([rec(3, ''), ...without(3)]), fault: 'not a whole number of struct sock_filter' },
  { name: 'an uppercase SHA256', bytes: small([rec(4, ascii('A'.repeat(64))), ...without(4)]), fault: 'not 64 lowercase hex digits' },
  { name: 'a DEP without its NUL', bytes: small([rec(2, ascii('/tabsent')), ...without(2)]), fault: 'no NUL between its two parts' },
  { name: 'a DEP of another state', bytes: small([rec(2, `${ascii('/t')} 00 ${ascii('gone')}`), ...without(2)]), fault: 'bad path or state' },
  { name: 'a relative IDENTITY target', bytes: small([rec(6, `${ascii('i')} 00 ${ascii('I')}`), ...without(6)]), fault: 'is not absolute' },
  { name: 'a PERSONA without its NUL', bytes: small([rec(8, ascii('4.19')), ...without(8)]), fault: 'no NUL between its two parts' },
  { name: 'an ACTIONS shorter than a table header', bytes: small([rec(9, '3e0000c0'), ...without(9)]), fault: 'shorter than a table header' },
  { name: 'a ROUTE without a name', bytes: small([rec(10, '3e0000c0 3f000000'), ...without(10)]), fault: 'no name' },
  { name: 'a NOTICE not UTF-8', bytes: small([...SMALL_RECORDS, rec(5, 'ff')]), fault: 'not UTF-8' },
];

describe('the front entry', () => {
  it('is written in the layout of docs/FRONT.md', () => {
    expect(encodeFrontEntry(SMALL).toString('hex')).toBe(small().toString('hex'));
  });

  it('decodes to what was encoded', () => {
    expect(decodeFrontEntry(small())).toEqual(SMALL);
    const empty: FrontEntry = { ...SMALL, deps: [], notices: [], identity: [], added: [], actions: [], routes: [] };
    expect(decodeFrontEntry(encodeFrontEntry(empty))).toEqual(empty);
  });

  it.each(DAMAGED.map((r) => [r.name, r] as const))('is refused: %s', (_, r) => {
    expect(() => decodeFrontEntry(r.bytes)).toThrow(FrontEntryError);
    expect(() => decodeFrontEntry(r.bytes)).toThrow(r.fault);
  });

  it('cannot carry a NUL in the first part of a pair', () => {
    expect(() => encodeFrontEntry({ ...SMALL, identity: [['/i\0x', 'I']] })).toThrow(FrontEntryError);
  });
});

describe("a compiled run's front entry", () => {
  it('carries the run: key, deps, filter, notices, files, persona, one table per arch, routes by AUDIT_ARCH, the worker as JSON', () => {
    const encoded: [number, NativeAction[]][] = [];
    const encodeActions = (arch: number, actions: NativeAction[]): Uint8Array => {
      encoded.push([arch, actions]);
      return Uint8Array.of(arch & 0xff, 0, 0, 0, actions.length, 0, 0, 0);
    };
    const deps = [{ path: '/tables/x86_64', state: '4096 1' }];
    const persona = { ...RUN.worker.persona, release: '4.19.0', mainline: '4.19' };
    const run = { ...RUN, added: [['/srv/added/tcp_tw_recycle', '0\n']] as [string, string][], worker: { ...RUN.worker, persona } };
    const e = frontEntryOf(run, 'the key', deps, encodeActions);
    expect(encoded).toEqual(run.nativeActions);
    expect(e).toEqual({
      key: 'the key',
      deps,
      filter: run.filter,
      filterSha256: run.filterSha256,
      notices: run.notices,
      identity: run.identity,
      added: run.added,
      persona: { release: '4.19.0', mainline: '4.19' },
      actions: [Uint8Array.of(0x3e, 0, 0, 0, 1, 0, 0, 0)],
      routes: [{ auditArch: AUDIT_ARCH.x86_64, nr: 63, name: 'uname' }],
      worker: JSON.stringify(run.worker),
    });
  });
});
