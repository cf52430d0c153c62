/**
 * The session cache's front entry, NAME.front beside NAME.json (run-cache.ts): a compiled run
 * in the form the native front reads in C without a JSON parser (docs/FRONT.md, "The session
 * cache's front entry"; native/front/). Integers are little-endian.
 *
 *     FILE   ::= MAGIC:"CRSHFRNT" VERSION:u32 RECORD*
 *     RECORD ::= TAG:u32 LEN:u32 BODY[LEN]
 *
 * Written in the order KEY DEP* FILTER SHA256 NOTICE* IDENTITY* ADDED* PERSONA ACTIONS* ROUTE*
 * WORKER; read in any order. An unknown tag, a missing or repeated required record, a short
 * record, a body that breaks its rule or trailing bytes make the entry a miss.
 */
import { AUDIT_ARCH } from '../arch.js';
import { ShimError } from '../errors.js';
import type { NativeAction } from '../native/addon-types.js';
import type { CompiledRun } from './compiled-run-types.js';
import type { Dependency } from './run-cache.js';

export const FRONT_MAGIC = 'CRSHFRNT';
/** Bumped whenever a record's meaning changes. */
export const FRONT_VERSION = 1;

/** Record tags (docs/FRONT.md). HELD (12) and END (0) belong to the hand-over only, never to a cache file. */
export const FrontTag = {
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
} as const;
export type FrontTagName = keyof typeof FrontTag;

/** Records that appear exactly once. */
const REQUIRED: readonly FrontTagName[] = ['key', 'filter', 'sha256', 'persona', 'worker'];

export interface FrontRoute {
  auditArch: number;
  nr: number;
  name: string;
}

/** What a front entry holds, decoded. */
export interface FrontEntry {
  /** The whole cache key (runCacheKey). */
  key: string;
  deps: Dependency[];
  filter: Uint8Array;
  filterSha256: string;
  notices: string[];
  identity: [string, string][];
  added: [string, string][];
  persona: { release: string; mainline: string };
  /** One verdict table per arch, in the binary form of native/notify-core.c (NotifyAddon.encodeActions). */
  actions: Uint8Array[];
  routes: FrontRoute[];
  /** CompiledRun.worker as JSON: the TypeScript helper's input, opaque to the front. */
  worker: string;
}

/** A front entry that cannot be decoded; `message` names the record and the fault. */
export class FrontEntryError extends ShimError {
  constructor(message: string) {
    super('decode front entry', message, { code: 'EINVAL' });
  }
}

/** The entry for a compiled run; `encodeActions` is NotifyAddon.encodeActions (throws ENOTSUP for identity memfds). */
export function frontEntryOf(
  run: CompiledRun,
  key: string,
  deps: readonly Dependency[],
  encodeActions: (auditArch: number, actions: NativeAction[]) => Uint8Array,
): FrontEntry {
  return {
    key,
    deps: [...deps],
    filter: run.filter,
    filterSha256: run.filterSha256,
    notices: [...run.notices],
    identity: [...(run.identity ?? [])],
    added: [...(run.added ?? [])],
    persona: { release: run.worker.persona.release, mainline: run.worker.persona.mainline },
    actions: run.nativeActions.map(([arch, actions]) => encodeActions(arch, actions)),
    routes: run.worker.routes.map((r) => ({ auditArch: AUDIT_ARCH[r.arch], nr: r.nr, name: r.name })),
    worker: JSON.stringify(run.worker),
  };
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const NUL = Buffer.of(0);

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function record(tag: number, body: Uint8Array): Buffer {
  return Buffer.concat([u32(tag), u32(body.length), body]);
}

/** A NUL-separated pair; the first part must not hold a NUL itself (the reader splits at the first). */
function pair(first: string, second: string, what: string): Buffer {
  if (first.includes('\0')) throw new FrontEntryError(`${what}: ${JSON.stringify(first)} holds a NUL`);
  return Buffer.concat([utf8(first), NUL, utf8(second)]);
}

/** The file's bytes. Throws FrontEntryError for a value the format cannot carry. */
export function encodeFrontEntry(e: FrontEntry): Buffer {
  const t = FrontTag;
  const records: Buffer[] = [
    record(t.key, utf8(e.key)),
    ...e.deps.map((d) => record(t.dep, pair(d.path, d.state, 'DEP'))),
    record(t.filter, e.filter),
    record(t.sha256, utf8(e.filterSha256)),
    ...e.notices.map((n) => record(t.notice, utf8(n))),
    ...e.identity.map(([target, text]) => record(t.identity, pair(target, text, 'IDENTITY'))),
    ...e.added.map(([target, text]) => record(t.added, pair(target, text, 'ADDED'))),
    record(t.persona, pair(e.persona.release, e.persona.mainline, 'PERSONA')),
    ...e.actions.map((a) => record(t.actions, a)),
    ...e.routes.map((r) => record(t.route, Buffer.concat([u32(r.auditArch), u32(r.nr), utf8(r.name)]))),
    record(t.worker, utf8(e.worker)),
  ];
  const magic = Buffer.from(FRONT_MAGIC, 'latin1');
  return Buffer.concat([magic, u32(FRONT_VERSION), ...records]);
}

const TAG_NAMES = new Map<number, FrontTagName>(Object.entries(FrontTag).map(([name, tag]) => [tag, name as FrontTagName]));
const text = new TextDecoder('utf-8', { fatal: true });

/** Decode an entry, checking every rule the front checks. Throws FrontEntryError naming the first fault. */
export function decodeFrontEntry(bytes: Uint8Array): FrontEntry {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 12 || b.subarray(0, 8).toString('latin1') !== FRONT_MAGIC) throw new FrontEntryError('not a front entry (magic)');
  const version = b.readUInt32LE(8);
  if (version !== FRONT_VERSION) throw new FrontEntryError(`version ${version}, not ${FRONT_VERSION}`);

  const seen = new Map<FrontTagName, number>();
  const e: Partial<FrontEntry> & Pick<FrontEntry, 'deps' | 'notices' | 'identity' | 'added' | 'actions' | 'routes'> = {
    deps: [],
    notices: [],
    identity: [],
    added: [],
    actions: [],
    routes: [],
  };
  let off = 12;
  while (off < b.length) {
    if (b.length - off < 8) throw new FrontEntryError(`trailing bytes at ${off}`);
    const tag = b.readUInt32LE(off);
    const len = b.readUInt32LE(off + 4);
    const name = TAG_NAMES.get(tag);
    if (name === undefined) throw new FrontEntryError(`unknown tag ${tag} at ${off}`);
    if (b.length - off - 8 < len) throw new FrontEntryError(`${name.toUpperCase()} at ${off}: short record (${len} bytes promised)`);
    const body = b.subarray(off + 8, off + 8 + len);
    const fault = (why: string): FrontEntryError => new FrontEntryError(`${name.toUpperCase()} at ${off}: ${why}`);
    const str = (u: Uint8Array): string => {
      try {
        return text.decode(u);
      } catch {
        throw fault('not UTF-8');
      }
    };
    const split = (): [string, string] => {
      const nul = body.indexOf(0);
      if (nul < 0) throw fault('no NUL between its two parts');
      return [str(body.subarray(0, nul)), str(body.subarray(nul + 1))];
    };
    seen.set(name, (seen.get(name) ?? 0) + 1);
    if (REQUIRED.includes(name) && seen.get(name)! > 1) throw fault('given twice');
    switch (name) {
      case 'key':
        e.key = str(body);
        break;
      case 'dep': {
        const [p, state] = split();
        if (p === '' || !/^(\d+ \d+|absent)$/.test(state)) throw fault(`bad path or state ${JSON.stringify(state)}`);
        e.deps.push({ path: p, state });
        break;
      }
      case 'filter':
        if (len === 0 || len % 8 !== 0) throw fault(`${len} bytes, not a whole number of struct sock_filter`);
        e.filter = Uint8Array.from(body);
        break;
      case 'sha256':
        e.filterSha256 = str(body);
        if (!/^[0-9a-f]{64}$/.test(e.filterSha256)) throw fault('not 64 lowercase hex digits');
        break;
      case 'notice':
        e.notices.push(str(body));
        break;
      case 'identity':
      case 'added': {
        const [target, content] = split();
        if (!target.startsWith('/')) throw fault(`target ${JSON.stringify(target)} is not absolute`);
        e[name].push([target, content]);
        break;
      }
      case 'persona': {
        const [release, mainline] = split();
        e.persona = { release, mainline };
        break;
      }
      case 'actions':
        if (len < 8) throw fault('shorter than a table header');
        e.actions.push(Uint8Array.from(body));
        break;
      case 'route':
        if (len < 9) throw fault('no name');
        e.routes.push({ auditArch: body.readUInt32LE(0), nr: body.readUInt32LE(4), name: str(body.subarray(8)) });
        break;
      case 'worker':
        e.worker = str(body);
        break;
    }
    off += 8 + len;
  }
  for (const r of REQUIRED) if (!seen.has(r)) throw new FrontEntryError(`no ${r.toUpperCase()} record`);
  return e as FrontEntry;
}
