/** The /proc and sysfs formats the live walk reads, parsed from fixed text. */
import { describe, expect, it } from 'vitest';
import { isSharedObject, parseMaps } from '../../../src/criu/unmovable/proc-maps.js';
import { decodeInetAddress, parseSocketTable } from '../../../src/criu/unmovable/proc-sockets.js';
import { splitDev } from '../../../src/criu/unmovable/sys-devices.js';
import { parseUnixDiag, unixDiagRequest } from '../../../src/criu/unmovable/unix-peers.js';

describe('socket tables', () => {
  it('tcp: inode, state, addresses and the accept backlog of a listener', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 5001 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 5002 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    const t = parseSocketTable('tcp', text);
    expect(t.get(5001)).toEqual({ family: 'inet', proto: 'tcp', state: 10, local: '127.0.0.1:8080', remote: '0.0.0.0:0', pendingAccept: 2 });
    expect(t.get(5002)).toEqual({ family: 'inet', proto: 'tcp', state: 1, local: '127.0.0.1:40000', remote: '127.0.0.1:8080' });
  });
  it('tcp6 addresses', () => {
    expect(decodeInetAddress('00000000000000000000000001000000:0050')).toBe('[0:0:0:0:0:0:0:1]:80');
  });
  it('unix, netlink and packet: the inode column of each', () => {
    expect([...parseSocketTable('unix', 'Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00000000 0001 03 7001 /run/x.sock\n').keys()]).toEqual([7001]);
    expect([...parseSocketTable('netlink', 'sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n0000000000000000 0   1          00000000 0        0        0     2        0        7002\n').keys()]).toEqual([7002]);
    expect([...parseSocketTable('packet', 'sk       RefCnt Type Proto  Iface R Rmem   User   Inode\n0000000000000000 3      3    0003   2     1 0      0      7003\n').keys()]).toEqual([7003]);
  });
});

describe('maps', () => {
  const text = [
    '55d0c0000000-55d0c0001000 r--p 00000000 fd:01 1234 /usr/bin/prog',
    '7f0000000000-7f0000100000 rw-s 00000000 00:01 2048 /dev/zero (deleted)',
    '7f0000100000-7f0000200000 rw-s 00000000 00:01 4096 /SYSV0000abcd (deleted)',
    '7f0000200000-7f0000201000 rw-s 00000000 00:0f 11 anon_inode:[perf_event]',
    '7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]',
    '7f0000300000-7f0000301000 rw-p 00000000 00:00 0 ',
  ].join('\n');
  it('parses every line, with the key that finds the same object elsewhere', () => {
    const lines = parseMaps(text);
    expect(lines).toHaveLength(6);
    expect(lines[1]).toEqual({ range: '7f0000000000-7f0000100000', shared: true, key: '00:01:2048', inode: 2048, path: '/dev/zero (deleted)' });
    expect(lines[5]!.path).toBe('');
  });
  it('shared objects are shared anonymous memory, memfds and SysV segments, not files or private memory', () => {
    expect(parseMaps(text).map(isSharedObject)).toEqual([false, true, true, false, false, false]);
  });
});

describe('splitDev', () => {
  it('decodes dev_t as glibc major()/minor() do', () => {
    expect(splitDev((10 << 8) | 229)).toEqual({ major: 10, minor: 229 });
    // minor 300 of major 259: minor's high bits sit above bit 20.
    expect(splitDev((259 << 8) | (300 & 0xff) | ((300 & ~0xff) << 12))).toEqual({ major: 259, minor: 300 });
  });
});

describe('sock_diag unix replies', () => {
  /** One unix_diag_msg reply with an optional UNIX_DIAG_PEER attribute, as the kernel lays it out. */
  function reply(ino: number, type: number, peer?: number): Buffer {
    const attrs = peer === undefined ? Buffer.alloc(0) : Buffer.from([8, 0, 2, 0, 0, 0, 0, 0]);
    if (peer !== undefined) attrs.writeUInt32LE(peer, 4);
    const b = Buffer.alloc(16 + 16 + attrs.length);
    b.writeUInt32LE(b.length, 0);
    b.writeUInt16LE(20, 4);
    b.writeUInt8(1, 16);
    b.writeUInt8(type, 17);
    b.writeUInt32LE(ino, 20);
    attrs.copy(b, 32);
    return b;
  }
  const done = () => {
    const b = Buffer.alloc(20);
    b.writeUInt32LE(20, 0);
    b.writeUInt16LE(3, 4);
    return b;
  };
  it('inode, type and peer of each socket, then the end of the dump', () => {
    const r = parseUnixDiag(Buffer.concat([reply(10, 1, 11), reply(12, 2), done()]));
    expect(r).toEqual({ sockets: [{ ino: 10, type: 1, peer: 11 }, { ino: 12, type: 2 }], done: true });
  });
  it('a datagram without NLMSG_DONE is not the end', () => {
    expect(parseUnixDiag(reply(10, 5, 3)).done).toBe(false);
  });
  it('the request asks every state for peers', () => {
    const q = unixDiagRequest(7);
    expect([q.length, q.readUInt16LE(4), q.readUInt16LE(6), q.readUInt32LE(8), q[16], q.readUInt32LE(20), q.readUInt32LE(28)]).toEqual([40, 20, 0x301, 7, 1, 0xffffffff, 4]);
  });
});
