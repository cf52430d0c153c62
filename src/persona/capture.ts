/**
 * From the oracle probe's output on a real kernel to a persona file: its identity as uname(2)
 * and /proc/version gave it, and where its syscall surface departs from its mainline table.
 */
import { judgedAbsent, outcomes, recheckOutcomes, type ProbeResult } from './probe-result.js';
import type { TableRegistry } from '../tables/registry.js';
import { mainlineOf, nearestKnown } from '../tables/release.js';
import type { PersonaFile } from './file.js';

export interface CaptureSource {
  kind: PersonaFile['source']['kind'];
  suite?: string;
  package?: string;
  packageVersion?: string;
  /** How the probe ran, e.g. "oracle probe in qemu (TCG), all-zero arguments". */
  method: string;
  /** YYYY-MM-DD; default today (UTC). */
  captured?: string;
}

/** The persona file for the probed kernel. Throws (via the registry) when no table reaches its release. */
export function capturePersona(probe: ProbeResult, registry: TableRegistry, source: CaptureSource): PersonaFile {
  const known = registry.releases('x86_64');
  const mainline = known.includes(mainlineOf(probe.release)) ? mainlineOf(probe.release) : nearestKnown(probe.release, known).release;
  const table = registry.indexed('x86_64', mainline);
  const newest = registry.indexed('x86_64', known[known.length - 1]!);
  const out = outcomes(probe);
  const rechecks = recheckOutcomes(probe);
  const absent: string[] = [];
  const extra: string[] = [];
  const unsafe: number[] = [];
  const record: Record<string, string> = {};
  for (const [nr, o] of [...out].sort((a, b) => a[0] - b[0])) {
    record[String(nr)] = o;
    if (o === 'skipped') {
      unsafe.push(nr);
      continue;
    }
    const e = table.byNumber.get(nr);
    const has = e !== undefined && e.status !== 'removed';
    const missing = judgedAbsent(o, rechecks.get(nr));
    if (has && missing) absent.push(e.name);
    if (!has && !missing) extra.push(e?.name ?? newest.byNumber.get(nr)?.name ?? `nr${nr}`);
  }
  const { captured, ...rest } = source;
  return {
    release: probe.release,
    version: probe.version,
    procVersion: probe.procVersion.endsWith('\n') ? probe.procVersion : `${probe.procVersion}\n`,
    sysname: probe.sysname,
    machine: 'x86_64',
    mainline,
    source: { ...rest, captured: captured ?? new Date().toISOString().slice(0, 10) },
    probe: {
      arch: 'x86_64', maxNr: Math.max(...out.keys()), unsafe, absent, extra, outcomes: record,
      ...(rechecks.size > 0 ? { rechecks: Object.fromEntries([...rechecks].sort((a, b) => a[0] - b[0]).map(([nr, o]) => [String(nr), o])) } : {}),
    },
  };
}
