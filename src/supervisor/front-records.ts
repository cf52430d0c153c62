/**
 * The records the native front reads and writes (docs/FRONT.md): the body of the session
 * cache's front entry (NAME.front) and the hand-over stream from the front to its TypeScript
 * helper on fd 3 (handover-main.ts). One reader and one writer for both, in TypeScript.
 *
 *   RECORD ::= TAG:u32 LEN:u32 BODY[LEN]          integers little-endian
 *   STREAM ::= RECORD* END                        END ::= TAG 0, LEN 0 (the hand-over only)
 */
import { ShimError } from '../errors.js';

/** Record tags, as front/run.c numbers them (docs/FRONT.md's table and "When a call needs TypeScript"). */
export const FrontTag = {
  end: 0,
  key: 1,
  dep: 2,
  filter: 3,
  sha256: 4,
  notice: 5,
  identity: 6,
  added: 7,
  persona: 8,
  actions: 9,
  route: 10,
  worker: 11,
  held: 12,
} as const;

export interface FrontRecord {
  tag: number;
  body: Uint8Array;
}

const HEADER = 8;
/**
 * The largest body read. The biggest record is WORKER (the persona and every route, some
 * hundred KB); a damaged LEN must fail at once, not make the reader wait for gigabytes.
 */
export const MAX_RECORD_BODY = 64 * 1024 * 1024;

function damaged(message: string): ShimError {
  return new ShimError('read front records', message, { code: 'EPROTO' });
}

/** The records, in order, as one buffer. Throws ShimError (EINVAL) for a tag or body out of range. */
export function encodeRecords(records: readonly FrontRecord[]): Buffer {
  let size = 0;
  for (const r of records) {
    if (!Number.isInteger(r.tag) || r.tag < 0 || r.tag > 0xffffffff) throw new ShimError('write front records', `tag ${r.tag} is not a u32`, { code: 'EINVAL' });
    if (r.body.length > MAX_RECORD_BODY) throw new ShimError('write front records', `a record of ${r.body.length} bytes is over ${MAX_RECORD_BODY}`, { code: 'EINVAL' });
    size += HEADER + r.body.length;
  }
  const out = Buffer.alloc(size);
  let at = 0;
  for (const r of records) {
    out.writeUInt32LE(r.tag, at);
    out.writeUInt32LE(r.body.length, at + 4);
    out.set(r.body, at + HEADER);
    at += HEADER + r.body.length;
  }
  return out;
}

/**
 * Records from a byte stream that arrives in pieces: `push` each piece and take the records
 * it completed. A body longer than MAX_RECORD_BODY throws ShimError (EPROTO) as soon as its
 * header is in; `buffered` says how many bytes of an unfinished record are held.
 */
export class RecordReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): FrontRecord[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: FrontRecord[] = [];
    let at = 0;
    while (this.buf.length - at >= HEADER) {
      const tag = this.buf.readUInt32LE(at);
      const len = this.buf.readUInt32LE(at + 4);
      if (len > MAX_RECORD_BODY) throw damaged(`record with tag ${tag} claims ${len} bytes, over ${MAX_RECORD_BODY}`);
      if (this.buf.length - at - HEADER < len) break;
      // A copy: the caller may keep bodies while the reader's buffer is dropped.
      out.push({ tag, body: new Uint8Array(this.buf.subarray(at + HEADER, at + HEADER + len)) });
      at += HEADER + len;
    }
    this.buf = this.buf.subarray(at);
    return out;
  }

  get buffered(): number {
    return this.buf.length;
  }
}

/** Every record of `bytes`, which must hold whole records only. Throws ShimError (EPROTO) for a short record or trailing bytes. */
export function decodeRecords(bytes: Uint8Array): FrontRecord[] {
  const reader = new RecordReader();
  const out = reader.push(bytes);
  if (reader.buffered > 0) throw damaged(`${reader.buffered} bytes after the last whole record`);
  return out;
}
