/*
 * Generate tables/args/x86_64.json: the argument values that select behaviour inside syscalls
 * (prctl options, fcntl commands, madvise advice, open/mmap/clone/getrandom flags, statx mask
 * bits, socket families, types and options), each with the release that added it and the
 * source of that fact.
 *
 * Inputs, all public Debian packages fetched with a private apt (src/oracle/deb-fetch.ts) into
 * .cache/arg-tables/ (or $CR_SHIM_ARG_CACHE):
 *   linux-libc-dev   bullseye (5.10), bookworm (6.1), trixie (6.12), unstable: the kernel's uapi
 *                    headers; which values each of those kernels defines
 *   libc6-dev        the same suites: glibc's <bits/socket.h>, <bits/socket_type.h> (AF_*, SOCK_*
 *                    are not in the uapi headers)
 *   manpages-dev, manpages   unstable: "since Linux X.Y" and the HISTORY section of the
 *                    per-constant pages (PR_GET_AUXV(2const))
 *
 * How each value's "since" is decided, first that applies:
 *   man-pages   the page names the release that added it
 *   headers     absent from one suite's headers and present in the next: added after the first
 *               (recorded as "after") and by the second ("by"); the exact release is unknown
 *   neither     present in 5.10's headers and undated by man-pages: "by" 5.10, nothing more
 *
 * Output is deterministic for the same inputs: values sorted by number, one per line. The
 * package versions read are recorded in "sources", so a rerun after a suite moved shows as a
 * diff of those lines.
 *
 * Run: npx tsx scripts/gen-arg-tables.ts [--offline]   (--offline: use the cache, never apt)
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fetchDebianPackage, type UnpackedDeb } from '../src/oracle/deb-fetch.js';
import { compareDotted as cmpRelease, type ArgGroup, type ArgTable, type ArgValue } from '../src/tables/arg-table.js';
import { validateJson } from '../src/tables/load.js';
import type { TableSource } from '../src/tables/types.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Debian suites whose headers are read, oldest first, with the mainline release they carry. */
export const SUITES: readonly string[] = ['bullseye', 'bookworm', 'trixie', 'unstable'];

/** What the generator reads for one group. */
interface GroupSpec {
  id: string;
  title: string;
  syscalls: string[];
  /** Argument index (0-based) the values go in. */
  arg: number;
  kind: 'value' | 'flag';
  /** Package whose headers define the group: the kernel's uapi or glibc. */
  pkg: 'linux-libc-dev' | 'libc6-dev';
  /** Headers defining members (relative to usr/include), arch directory first. */
  headers: string[];
  /** Headers whose definitions members may use, but which define no members. */
  helpers?: string[];
  pattern: RegExp;
  /** Names matching the pattern that are not members, with why. */
  exclude?: Record<string, string>;
  /** Only `#define` at column 0 (prctl.h indents sub-values: "# define PR_UNALIGN_NOPRINT"). */
  column0?: boolean;
  /** Man pages to read (relative to usr/share/man). */
  pages: string[];
  /** Also take a "since Linux" from an item's body text, not only its tag (address_families(7)). */
  bodySince?: boolean;
}

const LOCKS = 'lock type for struct flock, not a command';
const SEALS = 'seal bit for F_ADD_SEALS, not a command';
const GROUPS: readonly GroupSpec[] = [
  {
    id: 'prctl-option', title: 'prctl(2) options', syscalls: ['prctl'], arg: 0, kind: 'value', pkg: 'linux-libc-dev',
    headers: ['linux/prctl.h'], pattern: /^PR_[A-Z0-9_]+$/, column0: true,
    exclude: { PR_CFI_BRANCH_LANDING_PADS: 'a PR_SET_CFI argument, defined at column 0' },
    pages: ['man2/prctl.2', 'man2/PR_*.2const'],
  },
  {
    id: 'fcntl-command', title: 'fcntl(2) commands', syscalls: ['fcntl'], arg: 1, kind: 'value', pkg: 'linux-libc-dev',
    headers: ['x86_64-linux-gnu/asm/fcntl.h', 'asm-generic/fcntl.h', 'linux/fcntl.h'], pattern: /^F_[A-Z0-9_]+$/,
    exclude: {
      F_GETLK64: '32-bit ABIs only', F_SETLK64: '32-bit ABIs only', F_SETLKW64: '32-bit ABIs only',
      F_OWNER_TID: 'F_SETOWN_EX owner type', F_OWNER_PID: 'F_SETOWN_EX owner type', F_OWNER_PGRP: 'F_SETOWN_EX owner type',
      F_RDLCK: LOCKS, F_WRLCK: LOCKS, F_UNLCK: LOCKS, F_EXLCK: LOCKS, F_SHLCK: LOCKS,
      F_LINUX_SPECIFIC_BASE: 'base of the Linux-specific commands', F_OK: 'access(2) mode',
      F_SEAL_SEAL: SEALS, F_SEAL_SHRINK: SEALS, F_SEAL_GROW: SEALS, F_SEAL_WRITE: SEALS, F_SEAL_FUTURE_WRITE: SEALS, F_SEAL_EXEC: SEALS,
    },
    pages: ['man2/fcntl.2', 'man2/F_*.2const'],
  },
  {
    id: 'madvise-advice', title: 'madvise(2) advice', syscalls: ['madvise'], arg: 2, kind: 'value', pkg: 'linux-libc-dev',
    headers: ['x86_64-linux-gnu/asm/mman.h', 'asm-generic/mman.h', 'asm-generic/mman-common.h'], pattern: /^MADV_[A-Z0-9_]+$/,
    pages: ['man2/madvise.2'],
  },
  {
    id: 'open-flag', title: 'open(2) flags', syscalls: ['open', 'openat', 'openat2'], arg: 1, kind: 'flag', pkg: 'linux-libc-dev',
    headers: ['x86_64-linux-gnu/asm/fcntl.h', 'asm-generic/fcntl.h'], pattern: /^O_[A-Z0-9_]+$/,
    exclude: { O_ACCMODE: 'mask of the access mode', O_RDONLY: 'access mode 0, not a bit', O_WRONLY: 'access mode', O_RDWR: 'access mode' },
    pages: ['man2/open.2'],
  },
  {
    id: 'mmap-flag', title: 'mmap(2) flags', syscalls: ['mmap'], arg: 3, kind: 'flag', pkg: 'linux-libc-dev',
    headers: ['x86_64-linux-gnu/asm/mman.h', 'asm-generic/mman.h', 'asm-generic/mman-common.h', 'linux/mman.h'],
    helpers: ['asm-generic/hugetlb_encode.h'], pattern: /^MAP_[A-Z0-9_]+$/,
    exclude: {
      MAP_TYPE: 'mask of the mapping type', MAP_FILE: '0, compatibility', MAP_HUGE_SHIFT: 'shift of the huge page size field',
      MAP_HUGE_MASK: 'mask of the huge page size field',
    },
    pages: ['man2/mmap.2'],
  },
  {
    id: 'clone-flag', title: 'clone(2) and clone3(2) flags', syscalls: ['clone', 'clone3'], arg: 0, kind: 'flag', pkg: 'linux-libc-dev',
    headers: ['linux/sched.h'], pattern: /^CLONE_[A-Z0-9_]+$/,
    exclude: { CLONE_ARGS_SIZE_VER0: 'struct size', CLONE_ARGS_SIZE_VER1: 'struct size', CLONE_ARGS_SIZE_VER2: 'struct size' },
    pages: ['man2/clone.2'],
  },
  {
    id: 'getrandom-flag', title: 'getrandom(2) flags', syscalls: ['getrandom'], arg: 2, kind: 'flag', pkg: 'linux-libc-dev',
    headers: ['linux/random.h'], pattern: /^GRND_[A-Z0-9_]+$/,
    pages: ['man2/getrandom.2'],
  },
  {
    id: 'statx-mask', title: 'statx(2) mask bits', syscalls: ['statx'], arg: 3, kind: 'flag', pkg: 'linux-libc-dev',
    headers: ['linux/stat.h'], pattern: /^STATX_(?!ATTR_)[A-Z0-9_]+$/,
    exclude: { STATX_BASIC_STATS: 'union of the stat(2) bits', STATX_ALL: 'deprecated union', STATX__RESERVED: 'reserved bit' },
    pages: ['man2/statx.2'],
  },
  {
    id: 'socket-family', title: 'socket(2) address families', syscalls: ['socket', 'socketpair'], arg: 0, kind: 'value', pkg: 'libc6-dev',
    headers: ['x86_64-linux-gnu/bits/socket.h'], pattern: /^PF_[A-Z0-9_]+$/,
    exclude: { PF_MAX: 'count of families' },
    pages: ['man7/address_families.7', 'man2/socket.2'], bodySince: true,
  },
  {
    id: 'socket-type', title: 'socket(2) types and type flags', syscalls: ['socket', 'socketpair'], arg: 1, kind: 'value', pkg: 'libc6-dev',
    headers: ['x86_64-linux-gnu/bits/socket_type.h'], pattern: /^SOCK_[A-Z0-9_]+$/,
    pages: ['man2/socket.2'],
  },
  {
    id: 'socket-option', title: 'setsockopt(2) and getsockopt(2) options at SOL_SOCKET', syscalls: ['setsockopt', 'getsockopt'], arg: 2, kind: 'value', pkg: 'linux-libc-dev',
    headers: ['x86_64-linux-gnu/asm/socket.h', 'asm-generic/socket.h'], pattern: /^SO_[A-Z0-9_]+$/,
    pages: ['man7/socket.7'],
  },
];

/**
 * Releases man-pages does not give, each from the kernel commit that added the value (its
 * subject and the release whose merge window took it). Used only where the headers leave a gap.
 */
const KERNEL_COMMITS: Readonly<Record<string, { since: string; commit: string }>> = {
  GRND_INSECURE: { since: '5.6', commit: 'random: add GRND_INSECURE to return best-effort non-cryptographic bytes' },
  F_DUPFD_QUERY: { since: '6.10', commit: 'fcntl: add F_DUPFD_QUERY fcntl()' },
  F_CREATED_QUERY: { since: '6.12', commit: 'fcntl: add F_CREATED_QUERY' },
};

/**
 * Values one syscall of a group learned later than the others, each from the kernel commit that
 * taught it (its subject, the mainline release whose merge window took it, and the stable
 * releases it was backported to). The headers cannot tell: they define one number for both.
 */
const SYSCALL_COMMITS: Readonly<Record<string, Readonly<Record<string, { since: string; stable?: string[]; commit: string; note?: string }>>>> = {
  SO_TIMESTAMPING_NEW: {
    getsockopt: {
      since: '6.7',
      // 7f6ca95d16b9 went to the stable queues of 5.4, 5.10, 5.15, 6.1 and 6.6 (January 2024);
      // 6.1.72's review series carries it. The 5.10 patch (5.10.207-rc1) added the case to
      // SO_LINGER's branch instead, and 5.10 kernels answer ENOPROTOOPT (Debian's 5.10.262 does).
      stable: ['5.15', '6.1.72', '6.6'],
      commit: 'net: Implement missing getsockopt(SO_TIMESTAMPING_NEW)',
      // 9718475e6908 ("socket: Add SO_TIMESTAMPING_NEW", 5.1) taught sock_setsockopt() the option
      // and not sock_getsockopt(), whose default answers ENOPROTOOPT.
      note: 'setsockopt since 5.1 (9718475e6908); the 5.10 stable patch put the case in SO_LINGER\'s branch',
    },
  },
};

// ---------------------------------------------------------------------------------------------
// C headers: `#define NAME EXPR` lines, comments and line continuations removed. Conditionals are
// not evaluated: the first definition of a name wins, and the files are read arch header first.
//   EXPR ::= OR ;  OR ::= AND { "|" AND } ;  AND ::= SHIFT { "&" SHIFT } ;
//   SHIFT ::= SUM { ("<<"|">>") SUM } ;  SUM ::= UNARY { ("+"|"-") UNARY } ;
//   UNARY ::= ("-"|"~"|"+") UNARY | CAST UNARY | NUMBER | NAME | "(" EXPR ")"
// An enum (glibc's socket types) counts too: `NAME = NUMBER,` inside `enum ... { }`.

interface Define { name: string; expr: string; column0: boolean }

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, '').replace(/\\\n/g, ' ');
}

export function parseDefines(text: string): Define[] {
  const out: Define[] = [];
  for (const line of stripComments(text).split('\n')) {
    const m = /^(#\s*)define\s+([A-Za-z_][A-Za-z0-9_]*)(?!\()\s+(.+?)\s*$/.exec(line);
    // glibc's `#define SOCK_STREAM SOCK_STREAM` names an enum member: the enum gives the value.
    if (m && m[3] !== m[2]) out.push({ name: m[2]!, expr: m[3]!, column0: m[1] === '#' });
  }
  const enumBody = /enum\s+\w*\s*\{([^}]*)\}/g;
  for (const e of stripComments(text).matchAll(enumBody)) {
    for (const item of e[1]!.replace(/^\s*#.*$/gm, '').split(',')) {
      const m = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(\S+)\s*$/.exec(item);
      if (m) out.push({ name: m[1]!, expr: m[2]!, column0: true });
    }
  }
  return out;
}

const CAST = /^\(\s*(?:unsigned|signed|long|int|short|char|__u\d+|__s\d+|__kernel_\w+|\s)+\s*\)/;

/** Evaluate EXPR with earlier definitions; undefined when it is not a constant integer. */
export function evaluate(expr: string, defs: ReadonlyMap<string, string>, depth = 0): bigint | undefined {
  if (depth > 20) return undefined;
  let s = expr.trim();
  let pos = 0;
  const ws = (): void => {
    while (pos < s.length && /\s/.test(s[pos]!)) pos++;
  };
  const fail = (): never => {
    throw new Error('not constant');
  };
  const peek = (t: string): boolean => {
    ws();
    return s.startsWith(t, pos);
  };
  const eat = (t: string): boolean => (peek(t) ? ((pos += t.length), true) : false);
  const unary = (): bigint => {
    ws();
    if (eat('~')) return ~unary();
    if (eat('-')) return -unary();
    if (eat('+')) return unary();
    const cast = CAST.exec(s.slice(pos));
    if (cast) {
      pos += cast[0].length;
      return unary();
    }
    if (eat('(')) {
      const v = or();
      if (!eat(')')) fail();
      return v;
    }
    const num = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)[uUlL]*/.exec(s.slice(pos));
    if (num) {
      pos += num[0].length;
      const t = num[1]!;
      return t.startsWith('0x') || t.startsWith('0X') ? BigInt(t) : t.length > 1 && t.startsWith('0') ? BigInt(`0o${t.slice(1)}`) : BigInt(t);
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(pos));
    if (id) {
      pos += id[0].length;
      const d = defs.get(id[0]);
      const v = d === undefined ? undefined : evaluate(d, defs, depth + 1);
      if (v === undefined) fail();
      return v!;
    }
    return fail();
  };
  const sum = (): bigint => {
    let v = unary();
    for (;;) {
      if (eat('+')) v += unary();
      else if (!peek('->') && eat('-')) v -= unary();
      else return v;
    }
  };
  const shift = (): bigint => {
    let v = sum();
    for (;;) {
      if (eat('<<')) v <<= sum();
      else if (eat('>>')) v >>= sum();
      else return v;
    }
  };
  const and = (): bigint => {
    let v = shift();
    while (!peek('&&') && eat('&')) v &= shift();
    return v;
  };
  function or(): bigint {
    let v = and();
    while (!peek('||') && eat('|')) v |= and();
    return v;
  }
  try {
    const v = or();
    ws();
    if (pos !== s.length) return undefined;
    return v;
  } catch {
    s = '';
    return undefined;
  }
}

interface HeaderSet {
  /** name -> value, members only. */
  members: Map<string, bigint>;
}

function readHeaders(root: string, spec: GroupSpec): HeaderSet {
  const defs = new Map<string, string>();
  const col0 = new Map<string, boolean>();
  const memberFiles = new Set(spec.headers);
  const order: string[] = [];
  for (const rel of [...spec.headers, ...(spec.helpers ?? [])]) {
    const file = path.join(root, 'usr', 'include', rel);
    if (!fs.existsSync(file)) continue;
    for (const d of parseDefines(fs.readFileSync(file, 'utf8'))) {
      if (defs.has(d.name)) continue;
      defs.set(d.name, d.expr);
      col0.set(d.name, d.column0);
      if (memberFiles.has(rel)) order.push(d.name);
    }
  }
  const members = new Map<string, bigint>();
  for (const name of order) {
    if (!spec.pattern.test(name) || spec.exclude?.[name] !== undefined) continue;
    if (spec.column0 && !col0.get(name)) continue;
    const v = evaluate(defs.get(name)!, defs);
    if (v === undefined || v < 0n) continue;
    members.set(spec.pkg === 'libc6-dev' ? name.replace(/^PF_/, 'AF_') : name, v);
  }
  return { members };
}

// ---------------------------------------------------------------------------------------------
// man-pages. A .TP item's tag names one or more constants; "(since Linux X.Y)" in the tag (or
// the line after it) dates them. A per-constant page (NAME.2const) dates NAME by its HISTORY
// section ("Linux 6.4.").

export interface ManFact { since: string; page: string; commit?: string }

const SINCE = /since Linux (\d+\.\d+(?:\.\d+)?)/;
const CONST_NAME = /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g;

export function manSince(text: string, page: string, bodySince: boolean): Map<string, ManFact> {
  const out = new Map<string, ManFact>();
  const lines = text.split('\n');
  const constPage = /\(2const\)$/.test(page);
  if (constPage) {
    const name = /^\.TH\s+(\S+)/m.exec(text)?.[1];
    const hist = /^\.SH HISTORY\n([\s\S]*?)(?=^\.SH|$(?![\s\S]))/m.exec(text)?.[1] ?? '';
    const rel = /Linux (\d+\.\d+(?:\.\d+)?)/.exec(hist)?.[1];
    if (name && rel) out.set(name, { since: rel, page });
    return out;
  }
  // tbl(1) rows (statx(2)'s mask table): "NAME<TAB>text", continued by lines starting with a tab.
  for (let i = 0; i < lines.length; i++) {
    const row = /^([A-Z][A-Z0-9]*_[A-Z0-9_]+)\t/.exec(lines[i]!);
    if (!row) continue;
    let text = lines[i]!;
    for (let j = i + 1; j < lines.length && lines[j]!.startsWith('\t'); j++) text += ` ${lines[j]!}`;
    const rel = SINCE.exec(text)?.[1];
    if (rel && !out.has(row[1]!)) out.set(row[1]!, { since: rel, page });
  }
  for (let i = 0; i < lines.length; i++) {
    if (!/^\.(TP|IP)\b/.test(lines[i]!)) continue;
    const tag = lines[i + 1] ?? '';
    if (!/^\.(B|BR|I|IR)\b/.test(tag)) continue;
    const names = [...tag.matchAll(CONST_NAME)].map((m) => m[0]);
    if (names.length === 0) continue;
    let rel = SINCE.exec(tag)?.[1];
    // A tag may go on over a second macro line: `.BR NAME`, then `" (since Linux X.Y)"`.
    const next = lines[i + 2] ?? '';
    if (!rel && /^\.(B|BR|RB)\b/.test(next)) rel = SINCE.exec(next)?.[1];
    if (!rel && bodySince) {
      for (let j = i + 2; j < lines.length && !/^\.(TP|IP|SH|SS)/.test(lines[j]!); j++) {
        rel = SINCE.exec(lines[j]!)?.[1];
        if (rel) break;
      }
    }
    if (!rel) continue;
    for (const n of names) if (!out.has(n)) out.set(n, { since: rel, page });
  }
  return out;
}

function readPages(manRoots: readonly string[], globs: readonly string[], bodySince: boolean): Map<string, ManFact> {
  const out = new Map<string, ManFact>();
  for (const g of globs) {
    const dir = path.dirname(g);
    const base = path.basename(g);
    const re = new RegExp(`^${base.replace(/\./g, '\\.').replace(/\*/g, '.*')}\\.gz$`);
    for (const root of manRoots) {
      const d = path.join(root, 'usr', 'share', 'man', dir);
      if (!fs.existsSync(d)) continue;
      for (const f of fs.readdirSync(d).filter((n) => re.test(n)).sort()) {
        const text = zlib.gunzipSync(fs.readFileSync(path.join(d, f))).toString('utf8');
        const page = f.replace(/\.gz$/, '').replace(/^(.*)\.(\w+)$/, '$1($2)');
        for (const [n, fact] of manSince(text, page, bodySince)) if (!out.has(n)) out.set(n, fact);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** "5.10.262-1" -> "5.10" */
export function mainlineOfDebianVersion(v: string): string {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) throw new Error(`not a kernel package version: ${v}`);
  return `${m[1]}.${m[2]}`;
}

export interface ArgInputs {
  /** Per suite, oldest first: the unpacked linux-libc-dev and libc6-dev. */
  suites: { suite: string; kernel: UnpackedDeb; libc: UnpackedDeb }[];
  manpages: UnpackedDeb[];
}


/** Build the table from unpacked packages. Pure but for reading the given directories. */
export function buildArgTable(inputs: ArgInputs): ArgTable {
  const kernels = inputs.suites.map((s) => ({ ...s, release: mainlineOfDebianVersion(s.kernel.version) }));
  const manRoots = inputs.manpages.map((m) => m.root);
  const groups: Record<string, ArgGroup> = {};
  for (const spec of GROUPS) {
    const perSuite = kernels.map((k) => ({ release: k.release, suite: k.suite, set: readHeaders(spec.pkg === 'linux-libc-dev' ? k.kernel.root : k.libc.root, spec).members }));
    const man = readPages(manRoots, spec.pages, spec.bodySince ?? false);
    // One entry per value: the first name defining it is the entry's name, the rest aliases.
    const byValue = new Map<bigint, { names: string[]; first: number }>();
    perSuite.forEach((s, i) => {
      for (const [name, v] of s.set) {
        const e = byValue.get(v) ?? { names: [], first: i };
        if (!e.names.includes(name)) e.names.push(name);
        e.first = Math.min(e.first, i);
        byValue.set(v, e);
      }
    });
    const values: ArgValue[] = [];
    for (const [v, e] of [...byValue].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      const [name, ...aliases] = e.names;
      const by = perSuite[e.first]!.release;
      const entry: ArgValue = { name: name!, value: Number(v), by, source: '' };
      if (aliases.length) entry.aliases = aliases;
      const own = e.names.map((n) => SYSCALL_COMMITS[n]).find((c) => c !== undefined);
      if (own) {
        entry.syscalls = Object.fromEntries(Object.entries(own).filter(([sc]) => spec.syscalls.includes(sc)).map(([sc, c]) => [sc, {
          since: c.since,
          ...(c.stable ? { stable: c.stable } : {}),
          source: `kernel commit "${c.commit}"${c.stable ? `, backported to ${c.stable.join(', ')}` : ''}${c.note ? `; ${c.note}` : ''}`,
        }]));
      }
      // The earliest release man-pages gives for any of its names, else a kernel commit's.
      const fromCommit = e.names.map((n) => KERNEL_COMMITS[n]).find((c) => c !== undefined);
      const dated =
        e.names.map((n) => man.get(n)).filter((f): f is ManFact => f !== undefined).sort((a, b) => cmpRelease(a.since, b.since))[0] ??
        (fromCommit ? { since: fromCommit.since, page: '', commit: fromCommit.commit } : undefined);
      const after = e.first > 0 ? perSuite[e.first - 1]!.release : undefined;
      if (after !== undefined) entry.after = after;
      const headers = `${spec.pkg}: ${after !== undefined ? `not in ${perSuite[e.first - 1]!.suite} (${after}), ` : ''}in ${perSuite[e.first]!.suite} (${by})`;
      if (dated && cmpRelease(dated.since, by) <= 0 && (after === undefined || cmpRelease(dated.since, after) > 0)) {
        entry.since = dated.since;
        entry.source = `since: ${dated.commit ? `kernel commit "${dated.commit}"` : `man-pages ${dated.page}`}; ${headers}`;
      } else {
        entry.source = headers;
        if (dated) entry.note = `man-pages ${dated.page} says since ${dated.since}, which the headers contradict`;
      }
      const last = perSuite.map((s) => [...s.set.values()].includes(v)).lastIndexOf(true);
      if (last < perSuite.length - 1) entry.note = `${entry.note ? `${entry.note}; ` : ''}not in ${perSuite[last + 1]!.suite}'s headers (${perSuite[last + 1]!.release})`;
      values.push(entry);
    }
    const excluded = Object.entries(spec.exclude ?? {}).map(([n, why]) => `${n}: ${why}`);
    groups[spec.id] = {
      title: spec.title,
      syscalls: spec.syscalls,
      arg: spec.arg,
      kind: spec.kind,
      headers: spec.headers.map((h) => `${spec.pkg}: ${h}`),
      ...(excluded.length ? { excluded } : {}),
      values,
    };
  }
  const sources: TableSource[] = [
    ...kernels.map((k) => ({ name: 'linux-libc-dev', version: `${k.kernel.version} (Debian ${k.suite})`, facts: [`values defined by mainline ${k.release}'s uapi headers`], file: 'usr/include' })),
    ...kernels.map((k) => ({ name: 'libc6-dev', version: `${k.libc.version} (Debian ${k.suite})`, facts: ['AF_* and SOCK_* values (glibc, not uapi)'], file: 'usr/include/x86_64-linux-gnu/bits' })),
    ...inputs.manpages.map((m) => ({ name: m.package, version: `${m.version} (Debian ${m.suite})`, facts: ['"since Linux X.Y" of a value, and HISTORY of per-constant pages'], file: 'usr/share/man' })),
  ];
  return {
    arch: 'x86_64',
    releases: kernels.map((k) => k.release),
    sources,
    notes: [
      'since: the release that added the value, from man-pages. after/by: not in the older Debian release\'s headers, in the newer one\'s; added in between, exactly when unknown.',
      'A value with only "by" was in the oldest headers read and man-pages gives no date: every persona from that release on knows it; older personas are not judged.',
      'Headers define what a kernel\'s uapi names, not what it implements on every architecture (arm64 or PowerPC prctl options answer EINVAL on x86_64).',
    ],
    groups,
  };
}

const LINE_KEYS: readonly (keyof ArgValue)[] = ['name', 'value', 'aliases', 'since', 'after', 'by', 'source', 'note', 'syscalls'];

export function serializeArgTable(t: ArgTable): string {
  const list = (items: readonly unknown[]): string => (items.length === 0 ? '[]' : `[\n    ${items.map((i) => JSON.stringify(i)).join(',\n    ')}\n  ]`);
  const group = (g: ArgGroup): string => {
    const head = { title: g.title, syscalls: g.syscalls, arg: g.arg, kind: g.kind, headers: g.headers, ...(g.excluded ? { excluded: g.excluded } : {}) };
    const vals = g.values.map((v) => {
      const o: Partial<ArgValue> = {};
      for (const k of LINE_KEYS) if (v[k] !== undefined) (o as Record<string, unknown>)[k] = v[k];
      return `      ${JSON.stringify(o)}`;
    });
    const headText = JSON.stringify(head).slice(1, -1);
    return `{${headText},\n      "values": [\n${vals.join(',\n')}\n      ]}`;
  };
  const groups = Object.entries(t.groups).map(([id, g]) => `    ${JSON.stringify(id)}: ${group(g)}`);
  return `{\n  "arch": ${JSON.stringify(t.arch)},\n  "releases": ${JSON.stringify(t.releases)},\n  "sources": ${list(t.sources)},\n  "notes": ${list(t.notes ?? [])},\n  "groups": {\n${groups.join(',\n')}\n  }\n}\n`;
}

/** Fetch (or, offline, find in the cache) every package the table is built from. */
export function fetchInputs(cacheDir: string, offline: boolean): ArgInputs {
  const get = (suite: string, pkg: string): UnpackedDeb => {
    if (!offline) return fetchDebianPackage(suite, pkg, cacheDir);
    const dir = path.join(cacheDir, 'debs', suite, pkg);
    const stamp = path.join(dir, 'package.txt');
    if (!fs.existsSync(stamp)) throw new Error(`gen-arg-tables --offline: ${dir} not fetched yet; run without --offline once`);
    const version = fs.readFileSync(stamp, 'utf8').trim().split(' ')[1]!;
    return { suite, package: pkg, version, root: path.join(dir, 'root') };
  };
  return {
    suites: SUITES.map((suite) => ({ suite, kernel: get(suite, 'linux-libc-dev'), libc: get(suite, 'libc6-dev') })),
    manpages: [get('unstable', 'manpages-dev'), get('unstable', 'manpages')],
  };
}

export function argTableFile(tablesDir: string): string {
  return path.join(tablesDir, 'args', 'x86_64.json');
}

function main(): void {
  const offline = process.argv.includes('--offline');
  const cacheDir = process.env['CR_SHIM_ARG_CACHE'] ?? path.join(REPO_ROOT, '.cache', 'arg-tables');
  const table = buildArgTable(fetchInputs(cacheDir, offline));
  const text = serializeArgTable(table);
  const out = argTableFile(path.join(REPO_ROOT, 'tables'));
  validateJson(JSON.parse(text), 'arg-table', out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const old = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : undefined;
  if (old !== text) fs.writeFileSync(out, text);
  const n = Object.values(table.groups).reduce((s, g) => s + g.values.length, 0);
  process.stdout.write(`gen-arg-tables: ${n} values in ${Object.keys(table.groups).length} groups, ${old === text ? 'unchanged' : 'written'}: ${out}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
