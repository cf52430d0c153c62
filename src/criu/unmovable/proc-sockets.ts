/**
 * The sockets of a network namespace, by inode, from /proc/PID/net/* (the files of the
 * task's own namespace).
 *
 *   tcp, tcp6, udp, udp6, raw, raw6 ::= HEADER { SL ":" LOCAL REMOTE ST TX ":" RX TR ":" WHEN
 *                                        RETRNSMT UID TIMEOUT INODE ... "\n" }
 *     LOCAL, REMOTE ::= HEXADDR ":" HEXPORT   (IPv4: one 32-bit word, IPv6: four, each in host order)
 *   unix    ::= HEADER { NUM REFCOUNT PROTOCOL FLAGS TYPE ST INODE [PATH] "\n" }
 *   netlink ::= HEADER { SK ETH PID GROUPS RMEM WMEM DUMP LOCKS DROPS INODE "\n" }
 *   packet  ::= HEADER { SK REFCNT TYPE PROTO IFACE R RMEM USER INODE "\n" }
 */
import fs from 'node:fs';
import type { SocketFacts } from './classify.js';
import { SOCKET_TABLES } from './rules.js';

/** Where the inode column is, per file (the inet tables share one layout). */
const INODE_COLUMN: Readonly<Record<string, number>> = { unix: 6, netlink: 9, packet: 8 };
const INET_INODE = 9;

function word(hex: string): number[] {
  // Each 32-bit word is printed in host (little-endian) byte order.
  const v = Number.parseInt(hex, 16);
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** "0100007F:1F90" → "127.0.0.1:8080"; IPv6 as eight hex groups in brackets. */
export function decodeInetAddress(text: string): string {
  const [addr = '', port = '0'] = text.split(':');
  const p = Number.parseInt(port, 16);
  if (addr.length === 8) return `${word(addr).join('.')}:${p}`;
  const bytes: number[] = [];
  for (let i = 0; i < addr.length; i += 8) bytes.push(...word(addr.slice(i, i + 8)));
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return `[${groups.join(':')}]:${p}`;
}

/** Parse one /proc/net table into inode → facts. */
export function parseSocketTable(file: string, text: string): Map<number, SocketFacts> {
  const table = SOCKET_TABLES.find((t) => t.file === file);
  const out = new Map<number, SocketFacts>();
  if (table === undefined) return out;
  const lines = text.split('\n').slice(1);
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 2) continue;
    if (table.proto === undefined) {
      const ino = Number(f[INODE_COLUMN[file] ?? -1]);
      if (Number.isInteger(ino) && ino > 0) out.set(ino, { family: table.family });
      continue;
    }
    const ino = Number(f[INET_INODE]);
    if (!Number.isInteger(ino) || ino <= 0) continue;
    const rx = Number.parseInt((f[4] ?? '0:0').split(':')[1] ?? '0', 16);
    const facts: SocketFacts = { family: table.family, proto: table.proto, local: decodeInetAddress(f[1] ?? ''), remote: decodeInetAddress(f[2] ?? '') };
    if (table.proto === 'tcp') {
      facts.state = Number.parseInt(f[3] ?? '0', 16);
      // For a listening socket rx_queue is the accept backlog's length.
      if (facts.state === 10 && rx > 0) facts.pendingAccept = rx;
    }
    out.set(ino, facts);
  }
  return out;
}

/** Every socket of `pid`'s network namespace by inode. Tables the kernel lacks (no IPv6, no packet) are skipped. */
export function socketsOf(pid: number): Map<number, SocketFacts> {
  const out = new Map<number, SocketFacts>();
  for (const t of SOCKET_TABLES) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${t.file}`, 'utf8');
    } catch {
      continue;
    }
    for (const [ino, facts] of parseSocketTable(t.file, text)) out.set(ino, facts);
  }
  return out;
}
