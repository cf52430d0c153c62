// The serve socket's messages as data: what the plugin may send, and the replies it reads.
import { describe, expect, it } from 'vitest';
import { formatReply, formatRequest, parseReply, parseRequest, type Reply, type Request } from '../../src/serve/protocol.js';

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
  // The CLI's hand-over (versioned).
  ['adopt 1 2.6.32', { verb: 'adopt', version: 1, release: '2.6.32', ioUring: false }],
  ['adopt 1 5.4.0-150-generic io-uring', { verb: 'adopt', version: 1, release: '5.4.0-150-generic', ioUring: true }],
  ['adopt 0 2.6.32', 'adopt: bad version "0"'],
  ['adopt 1 ../x', 'adopt: bad release "../x"'],
  ['adopt 1 4.19 fast', 'adopt: unknown flag "fast"'],
  ['resume r1 42 stopped', { verb: 'resume', sid: 'r1', root: 42, mode: 'stopped' }],
  ['resume r1 42 running', { verb: 'resume', sid: 'r1', root: 42, mode: 'running' }],
  ['resume r1 42 paused', 'resume: bad mode "paused" (stopped or running)'],
  ['resume r1 0 stopped', 'resume: bad pid "0"'],
  ['wait r1', { verb: 'wait', sid: 'r1' }],
  ['wait r1 2', 'wait: bad session "r1 2"'],
  // cr-shim restore as a thin client (versioned; the spec is JSON, one line).
  [
    'restore-image 1 {"dir":"/img dir","kernel":"4.19","criuArgs":["--tcp-close"],"ioUring":false,"limits":{"timeoutMs":600000,"maxLogBytes":67108864}}',
    { verb: 'restore-image', version: 1, spec: { dir: '/img dir', kernel: '4.19', criuArgs: ['--tcp-close'], ioUring: false, limits: { timeoutMs: 600000, maxLogBytes: 67108864 } } },
  ],
  [
    'restore-image 2 {"dir":"/i","criu":"/opt/criu","criuArgs":[],"ioUring":true,"limits":{"timeoutMs":1,"maxLogBytes":1}}',
    { verb: 'restore-image', version: 2, spec: { dir: '/i', criu: '/opt/criu', criuArgs: [], ioUring: true, limits: { timeoutMs: 1, maxLogBytes: 1 } } },
  ],
  ['restore-image x {}', 'restore-image: bad version "x"'],
  ['restore-image 1 {"dir":"img","criuArgs":[],"ioUring":false,"limits":{"timeoutMs":1,"maxLogBytes":1}}', 'restore-image: dir is not an absolute path'],
  ['restore-image 1 {"dir":"/i","criuArgs":[1],"ioUring":false,"limits":{"timeoutMs":1,"maxLogBytes":1}}', 'restore-image: criuArgs is not a list of strings'],
  ['restore-image 1 {"dir":"/i","criuArgs":[],"ioUring":false,"limits":{"timeoutMs":0,"maxLogBytes":1}}', 'restore-image: bad limits'],
  ['restore-image 1 {"dir":', 'restore-image: the request is not JSON'],
  ['restore-image 1 null', 'restore-image: the request is not an object'],
  ['signal 15', { verb: 'signal', signal: 15 }],
  ['signal 0', 'signal: bad signal number "0"'],
  ['signal TERM', 'signal: bad signal number "TERM"'],
];

const REPLIES: [Reply, string][] = [
  [{ kind: 'shimmed', release: '2.6.32' }, 'shimmed 2.6.32'],
  [{ kind: 'plain' }, 'plain'],
  [{ kind: 'ok' }, 'ok'],
  [{ kind: 'error', text: 'read manifest /x:\n bad' }, 'error read manifest /x: bad'],
  [{ kind: 'filter', sid: 'r1', filter: Uint8Array.of(6, 0, 0, 0, 0, 0, 0xff, 0x7f) }, 'filter r1\n\x06\0\0\0\0\0\xff\x7f'],
  [{ kind: 'notice', text: 'restore: a\nb' }, 'notice restore: a b'],
  [{ kind: 'exit', status: 143 }, 'exit 143'],
  [{ kind: 'failed', failure: { op: 'open image', message: '/x: no\ninventory', hint: 'h', exitStatus: 143 } }, 'failed {"op":"open image","message":"/x: no\\ninventory","hint":"h","exitStatus":143}'],
];

const REPLY_TEXTS: [string, ReturnType<typeof parseReply>][] = [
  ['ok', { kind: 'ok' }],
  ['gone', { kind: 'gone' }],
  ['error adopt: no such kernel', { kind: 'error', text: 'adopt: no such kernel' }],
  ['filter r1\n\x06\0\0\0\0\0\xff\x7f', { kind: 'filter', sid: 'r1', filter: Uint8Array.of(6, 0, 0, 0, 0, 0, 0xff, 0x7f) }],
  ['filter r1\n\x06\0\0', 'a filter that is not whole instructions'],
  ['filter r1', 'bad "filter" reply'],
  ['ok then', 'bad "ok" reply'],
  ['notice tree h1: vDSO note 0x041300', { kind: 'notice', text: 'tree h1: vDSO note 0x041300' }],
  ['exit 42', { kind: 'exit', status: 42 }],
  ['exit -1', 'bad status "-1"'],
  ['failed {"op":"restore","message":"m","code":"EUSAGE","kind":"usage"}', { kind: 'failed', failure: { op: 'restore', message: 'm', code: 'EUSAGE', kind: 'usage' } }],
  ['failed {"op":"restore"}', 'bad "failed" reply'],
  ['failed not json', 'bad "failed" reply'],
  ['what', 'unknown reply "what"'],
];

describe('serve protocol', () => {
  it.each(REPLY_TEXTS)('reply %j', (text, want) => {
    expect(parseReply(Buffer.from(text, 'latin1'))).toEqual(want);
  });
  it.each(REQUESTS.filter((r): r is [string, Request] => typeof r[1] !== 'string'))('formatRequest round-trips %j', (text, req) => {
    expect(formatRequest(req)).toBe(text);
  });
  it.each(REQUESTS)('%j', (text, want) => {
    expect(parseRequest(Buffer.from(text))).toEqual(want);
  });
  it.each(REPLIES)('%j', (reply, want) => {
    expect(formatReply(reply).toString('latin1')).toBe(want);
  });
});
