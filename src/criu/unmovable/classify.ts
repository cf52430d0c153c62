/**
 * From facts about a live task (what walk.ts read in /proc and /sys) to findings: what
 * cannot move and why, by the tables in rules.ts. Pure: no I/O, so the rules are tested as data.
 */
import {
  ANON_REASONS,
  CRIU_ANON_DUMPERS,
  CRIU_CHAR_DUMPERS,
  DEVICE_CLASSES,
  DUMPED_NS,
  NESTED_NS_REFUSED,
  TCP_FLAGS,
  TCP_STATES,
  TUN_WITHOUT_NETNS,
  type UnmovableKind,
} from './rules.js';

/** What /sys/dev/{char,block}/MAJ:MIN says about a device. */
export interface DeviceFacts {
  subsystem?: string;
  /** Basename of the device's /sys/devices directory, e.g. "fuse", "card0". */
  name?: string;
  driver?: string;
  /** Under /sys/devices/virtual: no hardware behind it. */
  virtual: boolean;
}

export interface SocketFacts {
  family: string;
  proto?: 'tcp' | 'udp' | 'raw';
  /** TCP state number (include/net/tcp_states.h). */
  state?: number;
  local?: string;
  remote?: string;
  /** Connections a listening socket has not accepted yet (rx_queue of a LISTEN line). */
  pendingAccept?: number;
  /** A unix socket's type (SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5), when its peer was asked. */
  unixType?: number;
  /** A unix socket connected to a peer outside the tree: the processes holding that peer (empty: none holds it in an fd). */
  peerOutside?: readonly { pid: number; comm: string }[];
}

export type FdFacts =
  | { fd: number; link: string; type: 'anon'; anon: string }
  | { fd: number; link: string; type: 'char' | 'block'; major: number; minor: number; device?: DeviceFacts }
  | { fd: number; link: string; type: 'socket'; ino: number; socket?: SocketFacts }
  | { fd: number; link: string; type: 'path' | 'pipe' | 'fifo' | 'other' };

export interface MapFacts {
  /** start-end as /proc/PID/maps prints it. */
  range: string;
  path: string;
  /** The mapped file is a character device (stat of the path). */
  device?: { major: number; minor: number; device?: DeviceFacts };
  /** Processes outside the tree that map the same shared object. */
  sharedOutside?: readonly { pid: number; comm: string }[];
}

/** One thing that cannot move, held by one task. */
export interface Finding {
  pid: number;
  kind: UnmovableKind;
  /** What it is, in the task's terms: "fd 3: anon_inode:[perf_event]". */
  what: string;
  why: string;
  /** criu dump options that would let CRIU take it along instead (e.g. --tcp-established). */
  flags?: string[];
  /** Real hardware is behind it. */
  hardware?: true;
}

export interface ClassifyContext {
  /** The tree has a network namespace of its own (not cr-shim's), which CRIU dumps. */
  ownNetns: boolean;
  /** Options the dump will pass to criu. */
  criuArgs: readonly string[];
}

const inRange = (v: number, r: readonly [number, number] | undefined) => r === undefined || (v >= r[0] && v <= r[1]);

/** The class of a device CRIU has no dumper for: a label, whether hardware is behind it, and why it cannot move. */
export function deviceClass(major: number, minor: number, d: DeviceFacts | undefined): { label: string; hardware: boolean; why: string } {
  for (const c of DEVICE_CLASSES) {
    if (d?.subsystem !== c.subsystem) continue;
    if (c.name !== undefined && !new RegExp(c.name).test(d.name ?? '')) continue;
    if (c.driver !== undefined && !new RegExp(c.driver).test(d.driver ?? '')) continue;
    return { label: c.label, hardware: c.hardware, why: c.why };
  }
  const hardware = d !== undefined && !d.virtual;
  const sub = d?.subsystem ? ` (${d.subsystem}${d.driver ? `, driver ${d.driver}` : ''})` : '';
  return {
    label: d?.subsystem ?? 'device',
    hardware,
    why: `device ${major}:${minor}${sub}${hardware ? ', backed by hardware,' : ''} has no CRIU dumper: CRIU dumps memory devices, terminals, /dev/net/tun and autofs only`,
  };
}

function anonReason(name: string): string {
  const row = ANON_REASONS.find((r) => (r.name.endsWith(':') ? name.startsWith(r.name) : name === r.name));
  return row?.why ?? `anon_inode:${name}: CRIU has no dumper for this kind (it dumps ${CRIU_ANON_DUMPERS.join(', ')})`;
}

function describeDevice(f: { major: number; minor: number; device?: DeviceFacts }): string {
  const d = f.device;
  return `${f.major}:${f.minor}${d?.subsystem ? `, ${d.subsystem}/${d.name ?? '?'}` : ''}`;
}

/** A finding for one fd, or undefined when CRIU can dump it with the options given. */
export function classifyFd(pid: number, f: FdFacts, ctx: ClassifyContext): Finding | undefined {
  const what = `fd ${f.fd}: ${f.link}`;
  switch (f.type) {
    case 'anon':
      if (CRIU_ANON_DUMPERS.includes(f.anon)) return undefined;
      return { pid, kind: 'anon-inode', what, why: anonReason(f.anon) };
    case 'char': {
      const dumper = CRIU_CHAR_DUMPERS.find((r) => inRange(f.major, r.majors) && inRange(f.minor, r.minors));
      if (dumper !== undefined) {
        if (dumper.needsOwnNetns && !ctx.ownNetns) return { pid, kind: 'device', what: `${what} (char ${describeDevice(f)})`, why: TUN_WITHOUT_NETNS };
        return undefined;
      }
      const c = deviceClass(f.major, f.minor, f.device);
      return { pid, kind: 'device', what: `${what} (char ${describeDevice(f)}: ${c.label})`, why: c.why, ...(c.hardware ? { hardware: true as const } : {}) };
    }
    case 'block': {
      const c = deviceClass(f.major, f.minor, f.device);
      return { pid, kind: 'file', what: `${what} (block ${describeDevice(f)})`, why: `an open block device: CRIU has no dumper for it${c.hardware ? ' (a disk or other hardware)' : ''}`, ...(c.hardware ? { hardware: true as const } : {}) };
    }
    case 'socket':
      return classifySocket(pid, what, f.socket, ctx);
    case 'other':
      return { pid, kind: 'file', what, why: 'a file CRIU has no dumper for (not a path, pipe, FIFO, socket, device or known anonymous inode)' };
    default:
      return undefined;
  }
}

function classifySocket(pid: number, what: string, s: SocketFacts | undefined, ctx: ClassifyContext): Finding | undefined {
  if (s === undefined) {
    return { pid, kind: 'socket', what, why: 'a socket of a family CRIU does not dump (not in the task\'s /proc/net unix, inet, netlink or packet tables: vsock, bluetooth, CAN, AF_ALG, ...)' };
  }
  if (s.family === 'unix' && s.peerOutside !== undefined) return classifyUnixPeer(pid, what, s, ctx);
  if (s.proto !== 'tcp' || s.state === undefined) return undefined;
  const row = TCP_STATES.find((r) => r.state === s.state);
  const ends = s.local !== undefined ? ` ${s.local}${s.remote && !/:0$/.test(s.remote) ? ` -> ${s.remote}` : ''}` : '';
  const state = row?.name ?? `state ${s.state}`;
  if (row?.dump === 'flag') {
    if (ctx.criuArgs.some((a) => TCP_FLAGS.includes(a))) return undefined;
    return {
      pid,
      kind: 'tcp-connection',
      what: `${what} (TCP ${state}${ends})`,
      why: 'a connected TCP socket: its peer is not in the image; CRIU dumps it only with --tcp-established, and the peer must still be there at restore',
      flags: ['--tcp-established'],
    };
  }
  if (row?.dump === 'yes') {
    if (row.name === 'LISTEN' && (s.pendingAccept ?? 0) > 0 && !ctx.criuArgs.includes('--skip-in-flight')) {
      return { pid, kind: 'socket', what: `${what} (TCP LISTEN${ends}, ${s.pendingAccept} not accepted)`, why: 'a listening socket with connections not yet accepted: CRIU refuses it unless told to drop them with --skip-in-flight', flags: ['--skip-in-flight'] };
    }
    return undefined;
  }
  return { pid, kind: 'socket', what: `${what} (TCP ${state}${ends})`, why: `a TCP socket in state ${state}: CRIU cannot dump it` };
}

const SOCK_DGRAM = 2;

function classifyUnixPeer(pid: number, what: string, s: SocketFacts, ctx: ClassifyContext): Finding | undefined {
  const who = s.peerOutside!.length > 0 ? s.peerOutside!.map((o) => `${o.pid} (${o.comm})`).join(', ') : 'no process\'s fd (in flight, or held by the kernel)';
  if (s.unixType === SOCK_DGRAM) {
    if (ctx.criuArgs.includes('--ext-unix-sk')) return undefined;
    return { pid, kind: 'unix-connection', what: `${what} (unix datagram, peer held by ${who})`, why: 'a datagram socket connected outside the tree: CRIU dumps it only with --ext-unix-sk', flags: ['--ext-unix-sk'] };
  }
  const type = s.unixType === 5 ? 'seqpacket' : 'stream';
  return {
    pid,
    kind: 'unix-connection',
    what: `${what} (unix ${type}, peer held by ${who})`,
    why: `one end of a ${type} connection whose other end is outside the tree: CRIU never dumps half a connection (criu/sk-unix.c), not even with --ext-unix-sk`,
  };
}

/** A finding for one mapping, or undefined when CRIU copies it. */
export function classifyMapping(pid: number, m: MapFacts): Finding | undefined {
  const what = `mapping ${m.range} ${m.path}`;
  if (m.device !== undefined && !(m.device.major === 1 && m.device.minor === 5)) {
    const c = deviceClass(m.device.major, m.device.minor, m.device.device);
    return { pid, kind: 'mapping', what: `${what} (char ${describeDevice(m.device)}: ${c.label})`, why: `device memory: ${c.why}`, ...(c.hardware ? { hardware: true as const } : {}) };
  }
  if (m.path.startsWith('anon_inode:')) {
    return { pid, kind: 'mapping', what, why: `pages of a kernel object: ${anonReason(m.path.slice('anon_inode:'.length))}` };
  }
  if (m.sharedOutside !== undefined && m.sharedOutside.length > 0) {
    const who = m.sharedOutside.map((o) => `${o.pid} (${o.comm})`).join(', ');
    return { pid, kind: 'shared-memory', what, why: `also mapped by ${who} outside the tree: the image holds a copy, so after a restore they no longer share it` };
  }
  return undefined;
}

export interface NamespaceFacts {
  root: number;
  /** ns type → inode of cr-shim's own namespace. */
  own: Readonly<Record<string, string>>;
  /** Per task of the tree: ns type → inode. */
  tasks: ReadonlyMap<number, Readonly<Record<string, string>>>;
  /** ns inode → processes outside the tree in it. */
  outside: ReadonlyMap<string, readonly { pid: number; comm: string }[]>;
}

/**
 * Namespaces that tie the tree to processes outside it: the root's namespaces that CRIU
 * dumps (they differ from cr-shim's) but that others share, and nested namespaces CRIU refuses.
 */
export function classifyNamespaces(n: NamespaceFacts): Finding[] {
  const out: Finding[] = [];
  const rootNs = n.tasks.get(n.root) ?? {};
  for (const type of DUMPED_NS) {
    const ino = rootNs[type];
    if (ino === undefined || n.own[type] === undefined || n.own[type] === ino) continue;
    const others = n.outside.get(ino) ?? [];
    if (others.length === 0) continue;
    const who = others.slice(0, 5).map((o) => `${o.pid} (${o.comm})`).join(', ') + (others.length > 5 ? `, and ${others.length - 5} more` : '');
    out.push({
      pid: n.root,
      kind: 'namespace',
      what: `${type} namespace ${ino}`,
      why: `shared with ${who} outside the tree: CRIU dumps it and a restore creates a new one, so they no longer share it`,
    });
  }
  for (const [pid, ns] of n.tasks) {
    if (pid === n.root) continue;
    for (const type of NESTED_NS_REFUSED) {
      const ino = ns[type];
      if (ino === undefined || rootNs[type] === undefined || ino === rootNs[type]) continue;
      // A child in cr-shim's own namespace while the root is elsewhere is not nested either.
      if (ino === n.own[type]) continue;
      out.push({ pid, kind: 'namespace', what: `${type} namespace ${ino}`, why: `a nested ${type} namespace inside the tree: CRIU dumps only the root task's` });
    }
  }
  return out;
}
