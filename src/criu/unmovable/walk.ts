/**
 * The live tree walk `cr-shim dump` runs before anything is frozen: the tasks of the tree
 * rooted at PID (src/host/proc-tree.ts), their fds, mappings and namespaces read from /proc
 * and /sys, and what of that cannot move (classify.ts, by the tables in rules.ts). Reads
 * only: no task is stopped, traced or signalled.
 */
import fs from 'node:fs';
import { KernelError } from '../../errors.js';
import { listTree } from '../../host/proc-tree.js';
import { classifyFd, classifyMapping, classifyNamespaces, type ClassifyContext, type FdFacts, type Finding, type SocketFacts } from './classify.js';
import { fdsOf } from './proc-fds.js';
import { isSharedObject, mappingsOf, readMaps, type MapLine } from './proc-maps.js';
import { namespacesOf } from './proc-ns.js';
import { socketsOf } from './proc-sockets.js';
import { unixSockets, type UnixSocket } from './unix-peers.js';

export interface LiveTask {
  pid: number;
  ppid: number;
  comm: string;
  threads: number;
  zombie?: true;
}

export interface LiveReport {
  root: number;
  /** Parents before children. */
  tasks: LiveTask[];
  /** Per task, in the order of `tasks`. */
  findings: Finding[];
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** /proc/PID/stat: "PID (COMM) STATE PPID ...", COMM may hold spaces and parentheses. */
function taskOf(pid: number): LiveTask | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const [state, ppid] = stat.slice(close + 2).split(' ');
  let threads = 1;
  try {
    threads = fs.readdirSync(`/proc/${pid}/task`).length;
  } catch {
    // Gone meanwhile: counted as one.
  }
  return { pid, ppid: Number(ppid), comm, threads, ...(state === 'Z' || state === 'X' ? { zombie: true as const } : {}) };
}

function socketInodesOf(pid: number): number[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) out.push(Number(m[1]));
    } catch {
      // Closed meanwhile.
    }
  }
  return out;
}

/**
 * Unix sockets of the tree connected to sockets outside it: socket inode → peer inode. Only
 * for tasks in cr-shim's network namespace, the one sock_diag answers for; empty when the
 * kernel cannot be asked (no CONFIG_UNIX_DIAG).
 */
function outsidePeers(fds: ReadonlyMap<number, FdFacts[]>, inOwnNetns: (pid: number) => boolean): Map<number, UnixSocket> {
  const tree = new Set<number>();
  const candidates: number[] = [];
  for (const [pid, list] of fds) {
    for (const f of list) {
      if (f.type !== 'socket') continue;
      tree.add(f.ino);
      if (f.socket?.family === 'unix' && inOwnNetns(pid)) candidates.push(f.ino);
    }
  }
  const out = new Map<number, UnixSocket>();
  if (candidates.length === 0) return out;
  let diag: Map<number, UnixSocket>;
  try {
    diag = unixSockets();
  } catch (err) {
    // A kernel without CONFIG_UNIX_DIAG: CRIU itself will say so at dump time.
    if (!(err instanceof KernelError)) throw err;
    return out;
  }
  for (const ino of candidates) {
    const d = diag.get(ino);
    if (d?.peer !== undefined && d.peer !== 0 && !tree.has(d.peer)) out.set(ino, d);
  }
  return out;
}

function allPids(): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

/**
 * Who outside the tree maps the tree's shared objects (by maps key) and is in the tree's
 * namespaces (by inode). One pass over /proc, only when there is something to look for.
 */
function outsideUsers(tree: ReadonlySet<number>, keys: ReadonlySet<string>, nsInodes: ReadonlySet<string>, sockets: ReadonlySet<number>) {
  const byKey = new Map<string, { pid: number; comm: string }[]>();
  const byNs = new Map<string, { pid: number; comm: string }[]>();
  const bySocket = new Map<number, { pid: number; comm: string }[]>();
  if (keys.size === 0 && nsInodes.size === 0 && sockets.size === 0) return { byKey, byNs, bySocket };
  for (const pid of allPids()) {
    if (tree.has(pid) || pid === process.pid) continue;
    const comm = (read(`/proc/${pid}/comm`) ?? '?').trim();
    if (keys.size > 0) {
      for (const l of readMaps(pid)) {
        if (!keys.has(l.key)) continue;
        const list = byKey.get(l.key) ?? [];
        if (!list.some((o) => o.pid === pid)) list.push({ pid, comm });
        byKey.set(l.key, list);
      }
    }
    if (nsInodes.size > 0) {
      for (const ino of Object.values(namespacesOf(pid))) {
        if (!nsInodes.has(ino)) continue;
        const list = byNs.get(ino) ?? [];
        list.push({ pid, comm });
        byNs.set(ino, list);
      }
    }
    if (sockets.size > 0) {
      for (const ino of socketInodesOf(pid)) {
        if (!sockets.has(ino)) continue;
        const list = bySocket.get(ino) ?? [];
        if (!list.some((o) => o.pid === pid)) list.push({ pid, comm });
        bySocket.set(ino, list);
      }
    }
  }
  return { byKey, byNs, bySocket };
}

/** Walk the live tree rooted at `root` and list what cannot move with `criuArgs`. Tasks that exit meanwhile are skipped. */
export function walkTree(root: number, criuArgs: readonly string[]): LiveReport {
  const pids = listTree(root);
  const tasks = pids.map(taskOf).filter((t): t is LiveTask => t !== undefined);
  const tree = new Set(tasks.map((t) => t.pid));
  const own = namespacesOf('self');
  const ns = new Map(tasks.map((t) => [t.pid, namespacesOf(t.pid)] as const));
  const rootNs = ns.get(root) ?? {};
  const ctx: ClassifyContext = { ownNetns: rootNs.net !== undefined && rootNs.net !== own.net, criuArgs };

  const maps = new Map<number, MapLine[]>();
  const sharedKeys = new Set<string>();
  for (const t of tasks) {
    if (t.zombie) continue;
    const lines = readMaps(t.pid);
    maps.set(t.pid, lines);
    for (const l of lines) if (isSharedObject(l)) sharedKeys.add(l.key);
  }
  const dumpedNs = new Set(Object.entries(rootNs).filter(([type, ino]) => own[type] !== undefined && own[type] !== ino).map(([, ino]) => ino));

  const socketsByNetns = new Map<string, Map<number, SocketFacts>>();
  const fds = new Map<number, FdFacts[]>();
  for (const t of tasks) {
    if (t.zombie) continue;
    const netns = ns.get(t.pid)?.net ?? `pid ${t.pid}`;
    let sockets = socketsByNetns.get(netns);
    if (sockets === undefined) {
      sockets = socketsOf(t.pid);
      socketsByNetns.set(netns, sockets);
    }
    fds.set(t.pid, fdsOf(t.pid, sockets));
  }
  const peers = outsidePeers(fds, (pid) => ns.get(pid)?.net === own.net);
  const outside = outsideUsers(tree, sharedKeys, dumpedNs, new Set([...peers.values()].map((d) => d.peer!)));

  const findings: Finding[] = [];
  for (const t of tasks) {
    if (t.zombie) continue;
    for (const f of fds.get(t.pid) ?? []) {
      const peer = f.type === 'socket' ? peers.get(f.ino) : undefined;
      const facts: FdFacts =
        peer !== undefined && f.type === 'socket' ? { ...f, socket: { family: 'unix', unixType: peer.type, peerOutside: outside.bySocket.get(peer.peer!) ?? [] } } : f;
      const found = classifyFd(t.pid, facts, ctx);
      if (found) findings.push(found);
    }
    for (const m of mappingsOf(maps.get(t.pid) ?? [], outside.byKey)) {
      const found = classifyMapping(t.pid, m);
      if (found) findings.push(found);
    }
  }
  findings.push(...classifyNamespaces({ root, own, tasks: ns, outside: outside.byNs }));
  const order = new Map(tasks.map((t, i) => [t.pid, i]));
  findings.sort((a, b) => (order.get(a.pid) ?? 0) - (order.get(b.pid) ?? 0));
  return { root, tasks, findings };
}
