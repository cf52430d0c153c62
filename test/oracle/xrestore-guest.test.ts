import { describe, expect, it } from 'vitest';
import type { DebianCriu } from '../../src/oracle/criu-fetch.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePidWindow, guestScript, PID_WINDOW, xcases, XCASES, XK_DIR } from '../../src/oracle/xrestore-guest.js';

const criu: DebianCriu = {
  suite: 'bookworm',
  version: '3.17.1',
  packageVersion: '3.17.1-2',
  root: '/cache/criu/bookworm/root',
  ldso: 'lib64/ld-linux-x86-64.so.2',
  libDirs: ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'],
  criu: 'usr/sbin/criu',
  files: [],
};
const script = guestScript(criu, ['nfnetlink.ko', 'nf_tables.ko']);
const lines = script.split('\n');
const at = (text: string) => lines.findIndex((l) => l.includes(text));

describe('guestScript', () => {
  // What each line is there for is in src/oracle/xrestore-guest.ts; these are the verdicts.
  const needed: { why: string; text: string }[] = [
    { why: 'criu runs with its own loader and libraries', text: '/xk-criu/lib64/ld-linux-x86-64.so.2 --library-path /xk-criu/lib/x86_64-linux-gnu:/xk-criu/usr/lib/x86_64-linux-gnu /xk-criu/usr/sbin/criu' },
    { why: 'criu dump refuses rseq on 5.10', text: 'GLIBC_TUNABLES=glibc.pthread.rseq=0' },
    { why: 'lazy binding overruns XSAVE space on a wider CPU', text: 'LD_BIND_NOW=1' },
    { why: 'the root directory mode matches the host', text: 'chmod 0755 /' },
    { why: 'kerndat probes TCP over loopback', text: 'ip link set lo up' },
  ];
  it.each(needed)('$why', ({ text }) => expect(at(text)).toBeGreaterThanOrEqual(0));
  it('loads modules in the order given, before criu first runs', () => {
    expect(at('insmod /payload/nfnetlink.ko')).toBeLessThan(at('insmod /payload/nf_tables.ko'));
    expect(at('insmod /payload/nf_tables.ko')).toBeLessThan(at('criu --version'));
  });
  it.each(XCASES)('$name starts at pid $pid from the shared path and is dumped', (c) => {
    const start = at(`${XK_DIR}/bin/${c.program} ${c.mode} ${XK_DIR}/${c.name}/state `);
    expect(at(`echo ${c.pid - 1} >/proc/sys/kernel/ns_last_pid`)).toBeLessThan(start);
    expect(at(`criu dump -t $pid -D $OUT/${c.name}/img`)).toBeGreaterThan(start);
  });
  it('keeps every case below the host pid_max with room for its threads', () => {
    for (const c of XCASES) expect(c.pid + 5).toBeLessThan(32_768);
  });
});

describe('freePidWindow', () => {
  function fakeProc(last: number, used: number[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-proc-'));
    fs.mkdirSync(path.join(dir, 'sys', 'kernel'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'sys', 'kernel', 'pid_max'), '32768\n');
    fs.writeFileSync(path.join(dir, 'sys', 'kernel', 'ns_last_pid'), `${last}\n`);
    for (const p of used) fs.mkdirSync(path.join(dir, String(p)));
    return dir;
  }

  it('picks a window well behind the PID counter that no live PID touches', () => {
    const base = freePidWindow(fakeProc(30_200, [26_300, 30_211]));
    expect(base).toBeLessThanOrEqual(30_200 - 4000);
    for (const c of xcases(base)) expect([26_300, 30_211]).not.toContain(c.pid);
    expect(base + PID_WINDOW).toBeLessThan(32_768);
  });

  it('wraps below the lowest PIDs to the top of the range', () => {
    const base = freePidWindow(fakeProc(2000, []));
    expect(base).toBeGreaterThan(2000);
    expect(base + PID_WINDOW).toBeLessThan(32_768);
  });
});
