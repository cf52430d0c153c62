// The set-up calls the notify addon exports (native/libc-calls.c, src/native/libc.ts nativeSys), on the real kernel.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeSys } from '../../src/native/libc.js';
import { SeqpacketServer } from '../../src/serve/seqpacket.js';

const { EINVAL, ECHILD, ESRCH, EOPNOTSUPP, ENOENT, ENAMETOOLONG, EBADF } = constants.errno;
const PR_GET_DUMPABLE = 3;
const WNOHANG = 1;
const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
const MADV_DONTNEED = 4;

/** [call, expected]: each returns the result, or -errno. */
const CASES: [string, () => number, number][] = [
  ['prctl(PR_GET_DUMPABLE): a root process is dumpable', () => nativeSys.prctl(PR_GET_DUMPABLE, 0), 1],
  ['prctl with an unknown option: -EINVAL', () => nativeSys.prctl(0x7fff_fff0, 0), -EINVAL],
  ['waitpid of a process that is not our child: -ECHILD', () => nativeSys.waitpid(1, WNOHANG)[0], -ECHILD],
  ['pidfd_open of no process: -ESRCH', () => nativeSys.pidfdOpen(0x3fff_fff0), -ESRCH],
  ['seccomp GET_ACTION_AVAIL USER_NOTIF (5.0+): 0', () => nativeSys.seccompActionAvail(SECCOMP_RET_USER_NOTIF), 0],
  ['seccomp GET_ACTION_AVAIL of no action: -EOPNOTSUPP', () => nativeSys.seccompActionAvail(0x1234_0000), -EOPNOTSUPP],
  ['madvise(NULL, 0, MADV_DONTNEED): an empty range of known advice, 0', () => nativeSys.madviseEmpty(MADV_DONTNEED), 0],
  ['madvise(NULL, 0, advice no kernel knows): -EINVAL', () => nativeSys.madviseEmpty(0x7fff), -EINVAL],
  ['connect where no socket is: -ENOENT', () => nativeSys.seqpacketConnect('/nonexistent/cr-shim.sock'), -ENOENT],
  ['connect to a path longer than sun_path: -ENAMETOOLONG', () => nativeSys.seqpacketConnect(`/${'x'.repeat(200)}`), -ENAMETOOLONG],
  ['SO_PEERCRED of a closed fd: -EBADF', () => nativeSys.peerCred(0x3fff_fff0)[0], -EBADF],
  ['send on a closed fd: -EBADF', () => nativeSys.sendPacket(0x3fff_fff0, Buffer.from('x')), -EBADF],
];

describe('nativeSys', () => {
  for (const [name, call, expected] of CASES) it(name, () => expect(call()).toBe(expected));

  it('waitpid WNOHANG of a running child: 0', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    try {
      expect(nativeSys.waitpid(child.pid!, WNOHANG)[0]).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('pidfd_getfd copies an fd of a process: the same file', () => {
    const fd = openSync('/proc/self/status', 'r');
    const pidfd = nativeSys.pidfdOpen(process.pid);
    expect(pidfd).toBeGreaterThanOrEqual(0);
    try {
      const copy = nativeSys.pidfdGetfd(pidfd, fd);
      expect(copy).toBeGreaterThanOrEqual(0);
      expect(fstatSync(copy).ino).toBe(fstatSync(fd).ino);
      closeSync(copy);
    } finally {
      closeSync(pidfd);
      closeSync(fd);
    }
  });

  it('seqpacketConnect, peerCred, sendPacket: a connection to a real server, its peer this process, one message kept whole', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cr-shim-libc-'));
    const server = SeqpacketServer.listen(path.join(dir, 's.sock'));
    try {
      const accepting = server.accept();
      const fd = nativeSys.seqpacketConnect(server.path);
      expect(fd).toBeGreaterThanOrEqual(0);
      try {
        const [rc, pid, uid] = nativeSys.peerCred(fd);
        expect([rc, pid, uid]).toEqual([0, process.pid, process.getuid!()]);
        const accepted = (await accepting)!;
        expect(nativeSys.sendPacket(fd, Buffer.from('one message'))).toBe(11);
        expect(nativeSys.sendPacket(fd, Buffer.from('two'))).toBe(3);
        expect((await accepted.recv())!.data.toString()).toBe('one message');
        expect((await accepted.recv())!.data.toString()).toBe('two');
        accepted.close();
      } finally {
        closeSync(fd);
      }
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
