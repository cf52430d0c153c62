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
import { encodeRecords, FrontRecordError, FrontTag, placedRecords, type PlacedRecord } from './front-records.js';
import type { Dependency } from './run-cache.js';

export const FRONT_MAGIC = 'CRSHFRNT';
/** Bumped whenever a record's meaning changes. */
export const FRONT_VERSION = 1;

/** The tags a cache file holds (front-records.ts numbers them): HELD and END belong to the hand-over only. */
const ENTRY_TAGS = ['key', 'dep', 'filter', 'sha256', 'notice', 'identity', 'added', 'persona', 'actions', 'route', 'worker'] as const;
export type FrontTagName = (typeof ENTRY_TAGS)[number];

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

/** A NUL-separated pair; the first part must not hold a NUL itself (the reader splits at the first). */
function pair(first: string, second: string, what: string): Buffer {
  if (first.includes('\0')) throw new FrontEntryError(`${what}: ${JSON.stringify(first)} holds a NUL`);
  return Buffer.concat([utf8(first), NUL, utf8(second)]);
}

/** The file's bytes. Throws FrontEntryError for a value the format cannot carry. */
export function encodeFrontEntry(e: FrontEntry): Buffer {
  const t = FrontTag;
  const records = [
    { tag: t.key, body: utf8(e.key) },
    ...e.deps.map((d) => ({ tag: t.dep, body: pair(d.path, d.state, 'DEP') })),
    { tag: t.filter, body: e.filter },
    { tag: t.sha256, body: utf8(e.filterSha256) },
    ...e.notices.map((n) => ({ tag: t.notice, body: utf8(n) })),
    ...e.identity.map(([target, text]) => ({ tag: t.identity, body: pair(target, text, 'IDENTITY') })),
    ...e.added.map(([target, text]) => ({ tag: t.added, body: pair(target, text, 'ADDED') })),
    { tag: t.persona, body: pair(e.persona.release, e.persona.mainline, 'PERSONA') },
    ...e.actions.map((a) => ({ tag: t.actions, body: a })),
    ...e.routes.map((r) => ({ tag: t.route, body: Buffer.concat([u32(r.auditArch), u32(r.nr), utf8(r.name)]) })),
    { tag: t.worker, body: utf8(e.worker) },
  ];
  const magic = Buffer.from(FRONT_MAGIC, 'latin1');
  return Buffer.concat([magic, u32(FRONT_VERSION), encodeRecords(records)]);
}

const TAG_NAMES = new Map<number, FrontTagName>(ENTRY_TAGS.map((name) => [FrontTag[name], name]));
const text = new TextDecoder('utf-8', { fatal: true });

/** The records after the header, in file order; a record cut short is named as the front names it. */
function* entryRecords(b: Buffer): Generator<PlacedRecord> {
  try {
    yield* placedRecords(b, 12);
  } catch (err) {
    if (!(err instanceof FrontRecordError)) throw err;
    const name = err.tag === undefined ? undefined : TAG_NAMES.get(err.tag);
    if (err.tag === undefined) throw new FrontEntryError(`trailing bytes at ${err.at}`);
    if (name === undefined) throw new FrontEntryError(`unknown tag ${err.tag} at ${err.at}`);
    throw new FrontEntryError(`${name.toUpperCase()} at ${err.at}: short record (${err.promised} bytes promised)`);
  }
}

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
  for (const { tag, body, at: off } of entryRecords(b)) {
    const len = body.length;
    const name = TAG_NAMES.get(tag);
    if (name === undefined) throw new FrontEntryError(`unknown tag ${tag} at ${off}`);
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
  }
  for (const r of REQUIRED) if (!seen.has(r)) throw new FrontEntryError(`no ${r.toUpperCase()} record`);
  return e as FrontEntry;
}
