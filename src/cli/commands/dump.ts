/**
 * `cr-shim dump PID IMG [--criu PATH] [criu options] [-- CRIU-OPTIONS...]`: checkpoint a process
 * tree with CRIU into a new image directory and write IMG/cr-shim.json (src/criu/dump.ts).
 *
 * Exit status: 0 dumped; 125 criu or cr-shim failed (one line on stderr, nothing left on disk);
 * 2 usage.
 */
import { UsageError } from '../../errors.js';
import { locateCriu } from '../../criu/binary.js';
import { checkTarget, dumpProcess } from '../../criu/dump.js';
import { MANIFEST_FILE } from '../../criu/manifest.js';
import { DEFAULT_GRACE_MS, UnmovableError } from '../../criu/unmovable/guard.js';
import { dryRun } from '../../criu/unmovable/dry-run.js';
import type { CommandSpec, Parsed } from '../args.js';
import { flag, ownAndPassThrough, str } from '../args.js';
import { escapeControl, writeNotice } from '../error-line.js';
import path from 'node:path';
import { writeStdout } from '../stdout.js';

export const dumpSpec: CommandSpec = {
  name: 'dump',
  usage: 'cr-shim dump PID IMG [--criu PATH] [--share] [--shell-job] [--leave-running] [--tcp-established] [--terminate-unmovable [--grace SECONDS]] [--pre-dump N] [-- CRIU-DUMP-OPTIONS...] | cr-shim dump --dry-run PID [--json] [CRIU-OPTIONS]',
  summary: 'Checkpoint process PID and its descendants into the new directory IMG with criu dump, recording the kernel and cr-shim persona in IMG/cr-shim.json. Before anything is frozen, the live tree is walked for state that cannot move (devices, perf events, connections, ...): the dump refuses with the list, or ends the tasks holding it with --terminate-unmovable.',
  options: [
    { name: 'dry-run', help: 'only walk the live tree and list, per task, what cannot move and why; nothing is frozen or written (exit 0: all can move, 1: something cannot)' },
    { name: 'terminate-unmovable', help: 'end the tasks that hold state that cannot move (SIGTERM, then SIGKILL after the grace period), saying first what that does to their parents and children, then dump the rest' },
    { name: 'grace', value: 'SECONDS', help: `with --terminate-unmovable: how long SIGTERM has before SIGKILL (default ${DEFAULT_GRACE_MS / 1000})` },
    { name: 'criu', value: 'PATH', help: 'the criu to run (default: $CR_SHIM_CRIU, the private root of scripts/setup-criu.sh, PATH)' },
    { name: 'shell-job', help: 'criu --shell-job: the tree shares its session or terminal with processes outside it' },
    { name: 'leave-running', help: 'criu --leave-running: resume the tree after the dump (default: kill it)' },
    { name: 'tcp-established', help: 'criu --tcp-established: dump established TCP connections' },
    { name: 'track-mem', help: 'criu --track-mem: track memory changes for a later incremental dump' },
    { name: 'prev-images-dir', value: 'DIR', help: 'criu --prev-images-dir: the previous (pre-)dump, relative to IMG' },
    { name: 'pre-dump', value: 'N', help: 'run N criu pre-dump iterations into IMG/pre-1..N first (needs soft-dirty memory tracking)' },
    { name: 'share', help: 'make IMG readable by every local user (0755/0644; default 0700/0600): it exposes the whole memory of the dumped processes, keys and tokens included' },
    { name: 'json', help: 'print the manifest written, as JSON' },
  ],
};

const PASS_FLAGS = ['shell-job', 'leave-running', 'tcp-established', 'track-mem'] as const;

export async function dumpCommand(p: Parsed): Promise<number> {
  if (flag(p.options['dry-run'])) return dryRunCommand(p);
  const { own: [pidText, imgDir], passThrough } = ownAndPassThrough(dumpSpec, p, 2);
  if (pidText === undefined || imgDir === undefined) throw new UsageError('dump', 'needs a PID and an image directory', { code: 'EUSAGE', hint: `usage: ${dumpSpec.usage}` });
  if (!/^\d+$/.test(pidText)) throw new UsageError('dump', `not a PID: ${pidText}`, { code: 'EUSAGE', hint: `usage: ${dumpSpec.usage}` });
  const graceMs = graceOf(p);
  const preText = str(p.options['pre-dump']) ?? '0';
  if (!/^\d+$/.test(preText) || Number(preText) > 100) throw new UsageError('dump', `--pre-dump needs a count 0..100, not ${preText}`, { code: 'EUSAGE' });

  const criuArgs: string[] = [];
  for (const f of PASS_FLAGS) if (flag(p.options[f])) criuArgs.push(`--${f}`);
  const prev = str(p.options['prev-images-dir']);
  if (prev !== undefined) criuArgs.push('--prev-images-dir', prev);
  criuArgs.push(...passThrough);
  const unmovable = { terminate: flag(p.options['terminate-unmovable']), graceMs, notice: (line: string) => writeNotice(line) };

  checkTarget(Number(pidText));
  const explicit = str(p.options.criu);
  const criu = await locateCriu(explicit === undefined ? {} : { explicit });
  let result;
  try {
    result = await dumpProcess({ pid: Number(pidText), imgDir, criu, criuArgs, preDumps: Number(preText), unmovable, share: flag(p.options.share) });
  } catch (err) {
    if (err instanceof UnmovableError) for (const line of err.details) process.stderr.write(`${escapeControl(line)}\n`);
    throw err;
  }
  const m = result.manifest;
  let out: string;
  if (flag(p.options.json)) {
    out = `${JSON.stringify(m, null, 2)}\n`;
  } else {
    const plural = (n: number, w: string, ws = `${w}s`) => `${n} ${n === 1 ? w : ws}`;
    // The path, task names and criu's version are not cr-shim's text: each line is escaped.
    const lines = [`dumped PID ${pidText} (${plural(result.processes, 'process', 'processes')}, ${plural(result.threads, 'thread')}) into ${path.resolve(imgDir)}`];
    lines.push(`kernel ${m.kernel.release} (${m.arch}), criu ${m.criu.version}`);
    if (m.persona) {
      lines.push(`persona ${m.persona.release} (cr-shim run)${m.shimFilter ? `; cr-shim's filter is seccomp.img filter ${m.shimFilter.index}, dropped at restore` : ''}`);
    }
    for (const t of m.leftBehind?.terminated ?? []) lines.push(`left behind: PID ${t.pid} (${t.comm}), ended by ${t.signal}`);
    lines.push(`manifest ${path.join(path.resolve(imgDir), MANIFEST_FILE)}`);
    out = lines.map((l) => `${escapeControl(l)}\n`).join('');
  }
  for (const n of result.notices) writeNotice(n);
  await writeStdout(out);
  return 0;
}

function graceOf(p: Parsed): number {
  const text = str(p.options.grace);
  if (text === undefined) return DEFAULT_GRACE_MS;
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) > 3600) throw new UsageError('dump', `--grace needs seconds 0..3600, not ${text}`, { code: 'EUSAGE' });
  if (!flag(p.options['terminate-unmovable'])) throw new UsageError('dump', '--grace goes with --terminate-unmovable', { code: 'EUSAGE', hint: `usage: ${dumpSpec.usage}` });
  return Math.round(Number(text) * 1000);
}

/** `cr-shim dump --dry-run PID [CRIU-OPTIONS]`: the live walk alone. */
async function dryRunCommand(p: Parsed): Promise<number> {
  const [pidText, ...rest] = p.positionals;
  if (pidText === undefined || !/^\d+$/.test(pidText)) throw new UsageError('dump --dry-run', `needs a PID${pidText === undefined ? '' : `, not ${pidText}`}`, { code: 'EUSAGE', hint: `usage: ${dumpSpec.usage}` });
  if (flag(p.options['terminate-unmovable'])) throw new UsageError('dump --dry-run', '--dry-run lists; it does not terminate anything', { code: 'EUSAGE', hint: 'drop one of --dry-run and --terminate-unmovable' });
  const criuArgs: string[] = [];
  for (const f of PASS_FLAGS) if (flag(p.options[f])) criuArgs.push(`--${f}`);
  // An image directory may be given as for a real dump; the rest are criu options.
  criuArgs.push(...rest.filter((a) => a.startsWith('-')));
  const r = dryRun(Number(pidText), criuArgs, graceOf(p));
  const out = flag(p.options.json) ? `${JSON.stringify(r.report, null, 2)}\n` : r.text;
  await new Promise<void>((resolve) => process.stdout.write(out, () => resolve()));
  return r.report.findings.length === 0 ? 0 : 1;
}
