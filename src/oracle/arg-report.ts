/** The argument section of docs/FIDELITY.md from the argument probe's comparisons. Pure. */
import { agreementPercent, type ArgCompareRow, type ArgDiffClass, type ArgSummary } from './arg-compare.js';

export interface ArgKernelReport {
  release: string;
  suite: string;
  mainline: string;
  rows: ArgCompareRow[];
  summary: ArgSummary;
}

export interface ArgReport {
  /** One line per probe call: how it is made harmless (src/oracle/arg-cases.ts, test/oracle/arg-probe.c). */
  calls: string[];
  /** The agreement the long suite asks for, in percent. */
  target: number;
  kernels: ArgKernelReport[];
}

const CLASS_TEXT: Record<ArgDiffClass, string> = {
  agree: 'same answer',
  table: "cr-shim's argument rule refused a value the real kernel knew: the argument table's date for it is wrong (scripts/gen-arg-tables.ts)",
  'no-rule': "the persona's kernel did not know the value (the table proves it) and cr-shim lets it through: no argument rule covers the call (flags an old kernel ignored, masks it could not report: docs/BEHAVIOUR.md)",
  'table-gap': "the persona's kernel did not know the value, but the public data leaves its release open (between two Debian releases' headers), so no rule refuses it",
  unnamed: "the argument table does not name the value and this host's kernel answers it otherwise",
  semantics: "this host's newer implementation answers the same value differently",
  'host-build': "this host's kernel was built or booted without the code that answers the value",
  environment: "the guest differs from this host in something other than the kernel (capabilities, modules)",
  'shim-bug': 'cr-shim answers differently from the kernel it presents: a bug to fix',
  unexplained: 'not yet explained',
};

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const classes = (s: ArgSummary) => Object.entries(s.byClass).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';

/** Markdown lines of the section, from its "## Arguments" heading on. */
export function renderArgSection(r: ArgReport): string[] {
  const out: string[] = ['## Arguments', ''];
  out.push(
    "The argument probe (test/oracle/arg-probe.c) calls one syscall per case with one value of tables/args/x86_64.json in the argument that selects behaviour, each case in a fresh child, in the same guest boot as the syscall probe; then on this host under `cr-shim run --kernel <that release>`, and on this host without cr-shim (the \"this host\" column: it tells cr-shim's translations from the host kernel's answers passed through). Values tried: for options and commands, 0, every named value and the number after each (a value the table does not name but a kernel knows shows up); for flags, every named value and every single bit. \"Same answer\" compares the outcome word (ok, the errno; for statx also whether the kernel reported the bit).",
    '',
    'Calls, and what makes them harmless:',
    '',
  );
  for (const c of r.calls) out.push(`- ${c}`);
  out.push('', `Target: ${r.target}% or more of the cases answer the same on each kernel, and every difference classified.`, '');
  out.push(
    'The last column leaves out the cases this machine answers otherwise whatever cr-shim does (classes host-build and environment: its kernel build and capabilities, the guest\'s missing modules); it is not the target\'s measure, only where the rest of the difference lies.',
    '',
  );
  out.push('| kernel | cases | same answer | agreement | differences | without host-build and environment |', '|---|---|---|---|---|---|');
  for (const k of r.kernels) {
    const s = k.summary;
    const machine = (s.byClass['host-build'] ?? 0) + (s.byClass.environment ?? 0);
    const rest = { probed: s.probed - machine, agree: s.agree };
    out.push(`| ${k.release} (${k.suite}) | ${s.probed} | ${s.agree}/${s.probed} | ${agreementPercent(s).toFixed(1)}% | ${classes(s)} | ${rest.agree}/${rest.probed} (${agreementPercent(rest).toFixed(1)}%) |`);
  }
  out.push('', '### Classes of argument difference', '');
  for (const [c, t] of Object.entries(CLASS_TEXT)) if (c !== 'agree') out.push(`- **${c}**: ${t}.`);
  const groups = [...new Set(r.kernels.flatMap((k) => Object.keys(k.summary.byGroup)))];
  if (groups.length > 0) {
    out.push('', '### Same answer per group', '');
    out.push(`| group (syscall) | ${r.kernels.map((k) => k.release).join(' | ')} |`, `|---|${r.kernels.map(() => '---|').join('')}`);
    for (const g of groups) out.push(`| ${g} | ${r.kernels.map((k) => { const x = k.summary.byGroup[g]; return x ? `${x.agree}/${x.probed}` : '—'; }).join(' | ')} |`);
  }
  for (const k of r.kernels) {
    out.push('', `### Arguments: ${k.release} (Debian ${k.suite}, mainline ${k.mainline})`, '');
    const diffs = k.rows.filter((x) => !x.agrees);
    if (diffs.length === 0) {
      out.push('Every case answers the same.');
      continue;
    }
    out.push('| syscall | value | name | real kernel | cr-shim | this host | class | why |', '|---|---|---|---|---|---|---|---|');
    for (const d of diffs) out.push(`| ${d.syscall} | ${d.value} | ${cell(d.name)} | ${d.real} | ${d.shim} | ${d.native} | ${d.class} | ${cell(d.reason)} |`);
  }
  return out;
}
