/*
 * Which Debian archive this machine's apt uses, read from its own configuration, so the
 * oracle's private apt fetches kernels from the same host (never a hard-coded one).
 *
 * One-line style (/etc/apt/sources.list, sources.list.d/*.list):
 *   LINE     ::= "deb" [ "[" OPTION { " " OPTION } "]" ] URI SUITE { COMPONENT } | "deb-src" ... | "#" ... | ""
 * deb822 style (sources.list.d/*.sources): paragraphs separated by blank lines,
 *   FIELD    ::= NAME ":" VALUE { "\n" " " CONTINUATION }      NAME in Types, URIs, Suites, Components, ...
 *   comments ::= "#" ...   (ignored; a paragraph with "Enabled: no" is ignored)
 */
import fs from 'node:fs';
import path from 'node:path';
import { ShimError } from '../errors.js';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

/** Parse one-line sources (`deb URI SUITE COMPONENT...`); deb-src lines and comments are ignored. */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line.startsWith('deb ')) continue;
    const rest = line.slice(4).replace(/^\[[^\]]*\]\s*/, '').trim().split(/\s+/);
    const [uri, suite, ...components] = rest;
    if (uri && suite) out.push({ uri, suites: [suite], components });
  }
  return out;
}

/** Parse deb822 sources paragraphs with Types containing "deb". */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of para.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^\s/.test(line) && last !== undefined) {
        fields.set(last, `${fields.get(last) ?? ''} ${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (m) fields.set((last = m[1]!.toLowerCase()), m[2]!.trim());
    }
    const words = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb') || (fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    for (const uri of words('uris')) out.push({ uri, suites: words('suites'), components: words('components') });
  }
  return out;
}

/** Every enabled binary source of this machine's apt. */
export function systemAptSources(etcApt = '/etc/apt'): AptSource[] {
  const out: AptSource[] = [];
  const main = path.join(etcApt, 'sources.list');
  if (fs.existsSync(main)) out.push(...parseOneLineSources(fs.readFileSync(main, 'utf8')));
  const dir = path.join(etcApt, 'sources.list.d');
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (name.endsWith('.list')) out.push(...parseOneLineSources(fs.readFileSync(file, 'utf8')));
    else if (name.endsWith('.sources')) out.push(...parseDeb822Sources(fs.readFileSync(file, 'utf8')));
  }
  return out;
}

export interface DebianArchive {
  /** The main archive, e.g. the URI serving "bookworm" and "bookworm-updates". */
  archive: string;
  /** The security archive (serving "<suite>-security"), when the machine uses one. */
  security: string | undefined;
}

/**
 * The Debian archive URIs among the sources: the one that serves a plain Debian suite
 * (a name without "-") in component main, and the one that serves a "-security" suite.
 * Throws when the machine has no Debian archive configured.
 */
export function debianArchive(sources: readonly AptSource[], where = '/etc/apt'): DebianArchive {
  const isMain = (s: AptSource) => s.components.includes('main');
  const archive = sources.find((s) => isMain(s) && s.suites.some((x) => /^[a-z]+$/.test(x)))?.uri;
  const security = sources.find((s) => isMain(s) && s.suites.some((x) => /^[a-z]+-security$/.test(x) || /^[a-z]+\/updates$/.test(x)))?.uri;
  if (!archive) {
    throw new ShimError('oracle apt sources', `no Debian archive (a suite with component main) in ${where}`, {
      code: 'ENOENT',
      hint: 'configure apt with a Debian mirror (deb URI SUITE main) first',
    });
  }
  return { archive, security };
}
