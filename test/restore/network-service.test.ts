// A network service carried across a checkpoint (issue 9, point 2): net-server, under
// `cr-shim run --kernel 4.19`, holds a TCP listener, an established connection from this test
// (outside the dumped tree) and a UDP socket on 127.0.0.1. `cr-shim dump -- --tcp-established`
// checkpoints and kills it with the connection locked by CRIU (iptables, from scripts/setup.sh);
// `cr-shim restore -- --tcp-established` brings it back: the old connection goes on where it
// was, new connections and datagrams are served, and uname still says 4.19.
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { killQuietly, startToFile, tempDir, underShim, waitGone, type Started } from '../criu/helpers/images.js';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';

requireShimBuilt();

const KERNEL = '4.19';

/** A line-oriented client of net-server: one request, one reply line. */
class LineClient {
  private buffered = '';
  private waiting: ((line: string) => void) | undefined;
  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffered += d;
      this.deliver();
    });
  }

  static async connect(port: number): Promise<LineClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new LineClient(socket);
  }

  private deliver(): void {
    const nl = this.buffered.indexOf('\n');
    if (nl < 0 || this.waiting === undefined) return;
    const line = this.buffered.slice(0, nl);
    this.buffered = this.buffered.slice(nl + 1);
    const w = this.waiting;
    this.waiting = undefined;
    w(line);
  }

  ask(request: string, timeoutMs = 20_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${request} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.socket.write(`${request}\n`);
      this.deliver();
    });
  }
}

async function askUdp(port: number, timeoutMs = 20_000): Promise<string> {
  const sock = dgram.createSocket('udp4');
  try {
    const reply = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no UDP reply within ${timeoutMs} ms`)), timeoutMs);
      sock.once('message', (m) => {
        clearTimeout(timer);
        resolve(String(m));
      });
    });
    sock.send('hello', port, '127.0.0.1');
    return await reply;
  } finally {
    sock.close();
  }
}

/** The iptables rules that mention `port` (CRIU's network lock names the connection's ports). */
function rulesFor(port: number): string[] {
  const out = execFileSync('iptables', ['-S'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => new RegExp(`--[sd]port ${port}\\b`).test(l));
}

describe('a network service under cr-shim run --kernel 4.19, dumped with --tcp-established and restored', () => {
  let dir: string;
  let server: Started | undefined;
  let restoredRoot: number | undefined;
  let tcpPort = 0;

  beforeAll(async () => {
    await ensureCriu();
    dir = tempDir('net');
  }, SETUP_TIMEOUT_MS);

  afterAll(() => {
    killQuietly(server?.pid);
    killQuietly(restoredRoot);
    // A failure between dump and restore leaves CRIU's lock on our connection: take it away.
    if (tcpPort !== 0) for (const rule of rulesFor(tcpPort)) execFileSync('iptables', rule.replace(/^-A /, '-D ').split(' '));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps serving the old connection and new ones, over TCP and UDP, and still sees 4.19', async () => {
    server = await startToFile(underShim(KERNEL, programPath('net-server')), path.join(dir, 'server.out'));
    const started = parseOutput(server.output(), { partial: true });
    tcpPort = Number(started.get('tcp_port'));
    const udpPort = Number(started.get('udp_port'));
    const old = await LineClient.connect(tcpPort);
    expect(await old.ask('uname')).toBe(`release=${KERNEL} conn=1 served=1`);
    expect(await askUdp(udpPort)).toBe(`release=${KERNEL} udp=1`);

    const img = path.join(dir, 'img');
    const dump = await runCli(['dump', String(server.pid), img, '--', '--tcp-established'], { timeoutMs: 90_000 });
    expect(dump.status, describeResult(dump)).toBe(0);
    expect(dump.stdout).toContain(`persona ${KERNEL} (cr-shim run)`);
    await waitGone(server.pid);
    // Between dump and restore CRIU holds the connection with a firewall rule, so the peer
    // sees silence, not a reset.
    expect(rulesFor(tcpPort).length, 'CRIU network lock on the established connection').toBeGreaterThan(0);

    const restore = startCli(['restore', img, '--', '--tcp-established'], { timeoutMs: 120_000 });
    restoredRoot = server.pid;
    // The request waits in the client until the restored server reads it: the old connection lives.
    expect(await old.ask('uname', 60_000)).toBe(`release=${KERNEL} conn=1 served=2`);
    expect(rulesFor(tcpPort), 'the lock is gone once the tree runs again').toEqual([]);
    const fresh = await LineClient.connect(tcpPort);
    expect(await fresh.ask('uname')).toBe(`release=${KERNEL} conn=2 served=1`);
    expect(await askUdp(udpPort)).toBe(`release=${KERNEL} udp=2`);
    expect(await old.ask('quit')).toBe('bye');
    const r = await restore.result;
    expect(r.status, describeResult(r)).toBe(0);
    restoredRoot = undefined;
    fresh.socket.destroy();
    old.socket.destroy();
  }, 240_000);
});
