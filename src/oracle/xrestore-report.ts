/**
 * The "Cross-kernel restore" section of docs/FIDELITY.md, written by scripts/oracle/xrestore.ts
 * between two marker lines, so the rest of the file (scripts/oracle/fidelity.ts's) is left alone.
 */
import { hostKernelLabel, redactHostAnswer } from '../host/kernel-label.js';

export const SECTION_BEGIN = '<!-- cross-kernel-restore: begin (scripts/oracle/xrestore.ts) -->';
export const SECTION_END = '<!-- cross-kernel-restore: end -->';

export interface XRow {
  suite: string;
  release: string;
  criu: string;
  case: string;
  /** The subject's counter in the progress file saved at the dump. */
  dumpedCounter: number | undefined;
  /** The undumped twin's report on the guest kernel. */
  guest: Record<string, string>;
  /** The restored program's report under cr-shim restore, and under plain criu restore. */
  shim: Record<string, string> | undefined;
  plain: Record<string, string> | undefined;
  /** `cr-shim convert`'s conversions for this image (kind: detail). */
  conversions: string[];
  failures: string[];
}

export interface XReport {
  /** The host's uname -r and /proc/version: shown as a release number and placeholders, never verbatim. */
  host: { release: string; procVersion: string };
  guests: { suite: string; release: string; accel: string; bootSeconds: number | undefined }[];
  rows: XRow[];
}

function cell(r: Record<string, string> | undefined, key: string, host: XReport['host']): string {
  const v = r?.[key];
  return v === undefined || v === '' ? '—' : `\`${redactHostAnswer(v, host).replace(/\|/g, '\\|')}\``;
}

/** The section, markers included. */
export function renderXrestore(rep: XReport): string {
  const out = [
    SECTION_BEGIN,
    '## Cross-kernel restore',
    '',
    `cr-subject dumped in each guest kernel by that distribution's criu (bullseye ships none: bookworm's runs there), restored on this host (${hostKernelLabel(rep.host.release)}) twice: under \`cr-shim restore\` and with plain criu after \`cr-shim convert\`. Each row's program counts on from where it was dumped; \`guest\` is an undumped twin's answer on the guest kernel.`,
    '',
    '| kernel | criu | program | where | counter (dumped at) | uname -r | /proc/version | lookup_dcookie | threads | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rep.rows) {
    const verdict = r.failures.length ? `FAIL: ${r.failures.join('; ').replace(/\|/g, '\\|')}` : 'pass';
    for (const [where, rep2] of [['guest', r.guest], ['cr-shim restore', r.shim], ['plain criu restore', r.plain]] as const) {
      const counter = where === 'guest' ? `${rep2?.counter ?? '—'} (twin)` : `${rep2?.counter ?? '—'} (${r.dumpedCounter ?? '?'})`;
      const threads = rep2?.threads ? `${rep2.threads_alive ?? '?'}/${rep2.threads}` : '—';
      out.push(`| ${r.release} | ${r.criu} | ${r.case} | ${where} | ${counter} | ${cell(rep2, 'release', rep.host)} | ${cell(rep2, 'proc_version', rep.host)} | ${cell(rep2, 'lookup_dcookie_errno', rep.host)} | ${threads} | ${where === 'guest' ? verdict : ''} |`);
    }
  }
  const conversions = [...new Set(rep.rows.flatMap((r) => r.conversions))];
  out.push(
    '',
    `Conversions \`cr-shim convert\` applied (and \`cr-shim restore\` applies by itself): ${conversions.length ? conversions.join('; ') : 'none'}.`,
    '',
    'What the guest side needs (src/oracle/xrestore-guest.ts): the subject starts with `GLIBC_TUNABLES=glibc.pthread.rseq=0` (criu dump refuses rseq where ptrace cannot read its configuration, before 5.13) and `LD_BIND_NOW=1` (ld.so\'s lazy-binding trampoline sizes its XSAVE area from the dump CPU; this host\'s AVX-512 state overruns the TCG guest\'s size), from a path that exists here with the same bytes, at PIDs set through `ns_last_pid` below this host\'s pid_max; the guest loads nfnetlink and nf_tables from its kernel package and brings `lo` up (criu\'s start-up probes), and sets `/` to 0755 (criu checks the root directory\'s mode on restore).',
  );
  out.push('', 'Guests: ' + rep.guests.map((g) => `${g.release} (${g.accel}${g.bootSeconds !== undefined ? `, ${g.bootSeconds} s` : ''})`).join(', ') + '.', SECTION_END);
  return `${out.join('\n')}\n`;
}

/** DOC with its section replaced by SECTION, or SECTION appended when DOC has none. */
export function spliceSection(doc: string, section: string): string {
  const b = doc.indexOf(SECTION_BEGIN);
  const e = doc.indexOf(SECTION_END);
  if (b >= 0 && e > b) return doc.slice(0, b) + section + doc.slice(e + SECTION_END.length).replace(/^\n/, '');
  return doc.trim() === '' ? section : `${doc.replace(/\n*$/, '\n\n')}${section}`;
}
