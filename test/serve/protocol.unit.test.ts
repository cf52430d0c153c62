// The serve socket's messages as data: what the plugin may send, and the replies it reads.
import { describe, expect, it } from 'vitest';
import { formatReply, parseRequest, type Reply } from '../../src/serve/protocol.js';

const REQUESTS: [string, ReturnType<typeof parseRequest>][] = [
  ['dump 42', { verb: 'dump', pid: 42 }],
  ['dumped 42 /var/lib/x/checkpoint', { verb: 'dumped', pid: 42, dir: '/var/lib/x/checkpoint' }],
  ['dumped 42 /a dir/with spaces', { verb: 'dumped', pid: 42, dir: '/a dir/with spaces' }],
  ['restore /img', { verb: 'restore', dir: '/img' }],
  ['listener r0a1 77', { verb: 'listener', sid: 'r0a1', pid: 77 }],
  ['end r0a1 0', { verb: 'end', sid: 'r0a1', ret: 0 }],
  ['end r0a1 -1', { verb: 'end', sid: 'r0a1', ret: -1 }],
  ['dump 0', 'dump: bad pid "0"'],
  ['dump 1x', 'dump: bad pid "1x"'],
  ['dumped 42 relative', 'dumped: "relative" is not an absolute path'],
  ['restore img', 'restore: "img" is not an absolute path'],
  ['listener ../x 7', 'listener: bad session "../x"'],
  ['listener r1 7 8', 'listener: bad pid "7"'],
  ['end r1', 'end: bad status ""'],
  ['restore /img\nrestore /b', 'a request is one line'],
  ['hello', 'unknown request "hello"'],
];

const REPLIES: [Reply, string][] = [
  [{ kind: 'shimmed', release: '2.6.32' }, 'shimmed 2.6.32'],
  [{ kind: 'plain' }, 'plain'],
  [{ kind: 'ok' }, 'ok'],
  [{ kind: 'error', text: 'read manifest /x:\n bad' }, 'error read manifest /x: bad'],
  [{ kind: 'filter', sid: 'r1', filter: Uint8Array.of(6, 0, 0, 0, 0, 0, 0xff, 0x7f) }, 'filter r1\n\x06\0\0\0\0\0\xff\x7f'],
];

describe('serve protocol', () => {
  it.each(REQUESTS)('%j', (text, want) => {
    expect(parseRequest(Buffer.from(text))).toEqual(want);
  });
  it.each(REPLIES)('%j', (reply, want) => {
    expect(formatReply(reply).toString('latin1')).toBe(want);
  });
});
