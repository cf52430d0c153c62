/**
 * The text form of a `cr-shim check` report: one labelled line or block per question. Lines
 * carry the image's own text (task names, the manifest's fields, paths): each is escaped.
 */
import { escapeControl } from '../printable.js';
import type { CheckReport } from './check.js';

const LABEL = 12;
const line = (label: string, text: string): string => `${label.padEnd(LABEL)}${escapeControl(text)}\n`;
const more = (text: string): string => `${' '.repeat(LABEL + 2)}${escapeControl(text)}\n`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The report as text lines: `label` padded to a column, continuation lines indented under it. */
export function renderCheck(r: CheckReport): string {
  let out = '';
  const d = r.dumped;
  out += line('image', d ? `${r.image} (dumped ${d.time}${d.pid ? `, PID ${d.pid}` : ''}, cr-shim ${d.crShim}, criu ${d.criu})` : `${r.image} (no cr-shim.json: a plain CRIU image)`);

  const whence = {
    persona: `the kernel cr-shim presented to the program${d ? `; dumped on ${d.kernel.release}` : ''}`,
    manifest: 'the kernel it was dumped on',
    '--kernel': 'given with --kernel',
    'image vDSO': 'inferred from the LINUX_VERSION_CODE in the image\'s vDSO; the distribution\'s release suffix is unknown',
    'assumed host': 'unknown, assumed to be this host\'s',
  }[r.source.from];
  out += line('source', `${r.source.release} (${whence})`);
  out += line('host', `${r.host.release} (tables ${r.host.mainline}), ${r.host.arch}`);

  const threads = r.tasks.reduce((n, t) => n + t.threads.length, 0);
  out += line('tasks', `${plural(r.tasks.length, 'process', 'processes')}, ${plural(threads, 'thread')}: ${r.tasks.slice(0, 6).map((t) => `${t.pid}${t.comm ? ` ${t.comm}` : ''}${t.zombie ? ' (zombie)' : ''}`).join(', ')}${r.tasks.length > 6 ? ', ...' : ''}`);

  const { emulated, unsupported } = r.syscalls;
  if (emulated.length + unsupported.length === 0) {
    out += line('syscalls', `${r.syscalls.surface} and this host (${r.syscalls.host}) answer alike`);
  } else {
    out += line('syscalls', `${plural(emulated.length + unsupported.length, 'call')} of ${r.syscalls.surface} this host lacks or answers differently:`);
    for (const s of unsupported) out += more(`NOT covered  ${s.name} (${s.nr}): ${s.action}; ${s.reason}`);
    for (const s of emulated) out += more(`covered      ${s.name} (${s.nr}): ${s.action}; ${s.reason}`);
  }

  if (r.damaged.length === 0) out += line('images', 'memory and task images add up and decode');
  else for (const [i, d] of r.damaged.entries()) out += i === 0 ? line('damaged', d) : more(d);

  if (r.files.length === 0) out += line('files', 'every file the image uses is here as it was');
  else {
    out += line('cannot move', `${plural(r.files.length, 'file')}:`);
    for (const f of r.files) out += more(`${f.problem} [${f.heldBy}]; ${f.fix}`);
  }

  if (r.pids.length === 0) out += line('PIDs', 'all free');
  else for (const [i, p] of r.pids.entries()) out += i === 0 ? line('PIDs', `${p.problem}; ${p.fix}`) : more(`${p.problem}; ${p.fix}`);

  if (r.conversions.length === 0) out += line('conversions', 'none needed');
  else {
    out += line('conversions', `${r.conversions.length} needed (cr-shim restore applies them; cr-shim convert IMG OUT writes them to a new image):`);
    for (const c of r.conversions) out += more(`${c.kind}${c.kind === 'drop-caps' ? ` ${c.caps.join(',')}` : ''}: ${c.why}`);
  }

  for (const [i, w] of r.warnings.entries()) out += i === 0 ? line('warnings', w) : more(w);

  const verdictLine = r.criu.output.split('\n').filter((l) => /^Looks good|^Error|Warn/.test(l)).slice(-3).join(' / ') || r.criu.output.split('\n').pop() || '';
  out += line('criu', `${r.criu.version} at ${r.criu.path} (${r.criu.source}); criu check: ${r.criu.ok ? 'ok' : 'FAILED'}: ${verdictLine}`);

  const problems = r.damaged.length + r.files.length + r.pids.length + (r.criu.ok ? 0 : 1) + (r.criu.readsImage ? 0 : 1) + r.staleListeners.length;
  out += line(
    'verdict',
    problems > 0
      ? `cannot be restored here: ${plural(problems, 'problem')} above`
      : r.conversions.length > 0
        ? 'restorable after the conversions above'
        : 'restorable',
  );
  return out;
}
