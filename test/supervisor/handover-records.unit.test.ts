/**
 * The hand-over from the native front to its TypeScript helper (src/supervisor/handover-records.ts):
 * WORKER ACTIONS* HELD END. The faults are data: the records sent and the error the helper reports.
 */
import { describe, expect, it } from 'vitest';
import { decodeRecords, FrontTag, type FrontRecord } from '../../src/supervisor/front-records.js';
import { encodeHandover, parseHandover, type Handover } from '../../src/supervisor/handover-records.js';

const WORKER_JSON = JSON.stringify({ persona: { release: '2.6.32' }, routes: [{ arch: 'x86_64', nr: 156, name: '_sysctl', handler: 'sysctl', args: [] }] });
const worker = (json = WORKER_JSON): FrontRecord => ({ tag: FrontTag.worker, body: Buffer.from(json) });
const held = (bytes: number): FrontRecord => ({ tag: FrontTag.held, body: new Uint8Array(bytes) });
const actions: FrontRecord = { tag: FrontTag.actions, body: Uint8Array.of(1, 2, 3) };

const FAULTS: { why: string; records: FrontRecord[]; error: RegExp }[] = [
  { why: 'no WORKER', records: [held(88)], error: /no WORKER record/ },
  { why: 'no HELD', records: [worker()], error: /no HELD record/ },
  { why: 'WORKER twice', records: [worker(), worker(), held(88)], error: /WORKER given twice/ },
  { why: 'HELD twice', records: [worker(), held(88), held(88)], error: /HELD given twice/ },
  { why: 'WORKER not JSON', records: [worker('{"persona":'), held(88)], error: /WORKER is not JSON/ },
  { why: 'WORKER without routes', records: [worker('{"persona":{}}'), held(88)], error: /not a compiled run's worker input/ },
  { why: 'WORKER null', records: [worker('null'), held(88)], error: /not a compiled run's worker input/ },
  { why: 'HELD with RECEIVED_NS only', records: [worker(), held(8)], error: /HELD of 8 bytes holds no notification/ },
  { why: 'a cache-entry record (KEY)', records: [{ tag: FrontTag.key, body: new Uint8Array(0) }, worker(), held(88)], error: /unexpected record tag 1/ },
];

describe('parseHandover', () => {
  it.each(FAULTS)('refuses $why', ({ records, error }) => {
    expect(() => parseHandover(records)).toThrow(error);
  });

  it('reads back what encodeHandover wrote, END last', () => {
    const notification = Uint8Array.from({ length: 80 }, (_, i) => i);
    const sent: Handover = {
      worker: JSON.parse(WORKER_JSON) as Handover['worker'],
      tables: [Uint8Array.of(1, 2, 3), Uint8Array.of(4)],
      notification,
      receivedNs: 0x0102030405060708n,
    };
    const records = decodeRecords(encodeHandover(sent));
    expect(records.map((r) => r.tag)).toEqual([FrontTag.worker, FrontTag.actions, FrontTag.actions, FrontTag.held, FrontTag.end]);
    // RECEIVED_NS little-endian after the notification.
    expect(Buffer.from(records[3]!.body.subarray(80)).toString('hex')).toBe('0807060504030201');
    const got = parseHandover(records.slice(0, -1));
    expect({ ...got, notification: [...got.notification], tables: got.tables.map((t) => [...t]) }).toEqual({
      ...sent,
      notification: [...notification],
      tables: [[1, 2, 3], [4]],
    });
  });

  it('takes ACTIONS in any number, none included', () => {
    expect(parseHandover([worker(), held(88)]).tables).toEqual([]);
    expect(parseHandover([worker(), actions, held(88), actions]).tables).toHaveLength(2);
  });
});
