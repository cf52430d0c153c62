/**
 * What the native front sends its TypeScript helper on fd 3 (docs/FRONT.md, "When a call
 * needs TypeScript"), in the records of front-records.ts:
 *
 *   HANDOVER ::= WORKER ACTIONS* HELD END
 *   WORKER   ::= CompiledRun.worker as JSON (compiled-run-types.ts)
 *   ACTIONS  ::= one arch's verdict table in its binary form (NotifyAddon.encodeActions)
 *   HELD     ::= struct seccomp_notif (as NOTIF_RECV wrote it) RECEIVED_NS:u64
 *
 * The helper (handover-main.ts) reads it; the front (front/run.c) writes it, and so do the
 * tests that play the front's part (encodeHandover).
 */
import { ShimError } from '../errors.js';
import type { CompiledRun } from './compiled-run-types.js';
import { encodeRecords, FrontTag, type FrontRecord } from './front-records.js';

/** RECEIVED_NS after the struct seccomp_notif in HELD. */
const RECEIVED_NS_BYTES = 8;

export interface Handover {
  worker: CompiledRun['worker'];
  /** ACTIONS bodies, in the order sent. */
  tables: Uint8Array[];
  /** The held struct seccomp_notif, raw. */
  notification: Uint8Array;
  /** CLOCK_MONOTONIC ns when the front received it. */
  receivedNs: bigint;
}

function bad(message: string, cause?: unknown): ShimError {
  return new ShimError('read the hand-over', message, { code: 'EPROTO', ...(cause === undefined ? {} : { cause }) });
}

/** The hand-over from its records (END excluded). Throws ShimError (EPROTO) naming what is missing, doubled or foreign. */
export function parseHandover(records: readonly FrontRecord[]): Handover {
  let worker: Handover['worker'] | undefined;
  let held: Uint8Array | undefined;
  const tables: Uint8Array[] = [];
  for (const r of records) {
    if (r.tag === FrontTag.worker) {
      if (worker !== undefined) throw bad('WORKER given twice');
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(r.body).toString('utf8'));
      } catch (cause) {
        throw bad(`WORKER is not JSON: ${(cause as Error).message}`, cause);
      }
      const w = parsed as Handover['worker'] | null;
      if (typeof w !== 'object' || w === null || typeof w.persona !== 'object' || w.persona === null || !Array.isArray(w.routes)) {
        throw bad('WORKER is not a compiled run\'s worker input ({"persona":{...},"routes":[...]})');
      }
      worker = { persona: w.persona, routes: w.routes };
    } else if (r.tag === FrontTag.actions) {
      tables.push(r.body);
    } else if (r.tag === FrontTag.held) {
      if (held !== undefined) throw bad('HELD given twice');
      if (r.body.length <= RECEIVED_NS_BYTES) throw bad(`HELD of ${r.body.length} bytes holds no notification`);
      held = r.body;
    } else {
      throw bad(`unexpected record tag ${r.tag}`);
    }
  }
  if (worker === undefined) throw bad('no WORKER record');
  if (held === undefined) throw bad('no HELD record');
  const at = held.length - RECEIVED_NS_BYTES;
  return {
    worker,
    tables,
    notification: held.subarray(0, at),
    receivedNs: Buffer.from(held.buffer, held.byteOffset + at, RECEIVED_NS_BYTES).readBigUInt64LE(0),
  };
}

/** The whole stream, END included, as the front sends it. */
export function encodeHandover(h: Handover): Buffer {
  const held = Buffer.alloc(h.notification.length + RECEIVED_NS_BYTES);
  held.set(h.notification, 0);
  held.writeBigUInt64LE(h.receivedNs, h.notification.length);
  return encodeRecords([
    { tag: FrontTag.worker, body: Buffer.from(JSON.stringify(h.worker)) },
    ...h.tables.map((body) => ({ tag: FrontTag.actions, body })),
    { tag: FrontTag.held, body: held },
    { tag: FrontTag.end, body: new Uint8Array(0) },
  ]);
}
