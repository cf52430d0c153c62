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
import type { CommandSpec, Parsed } from '../args.js';
import { flag, ownAndPassThrough, str } from '../args.js';
import path from 'node:path';
import { writeStdout } from '../stdout.js';

export const dumpSpec: CommandSpec = {
  name: 'dump',
  usage: 'cr-shim dump PID IMG [--criu PATH] [--share] [--shell-job] [--leave-running] [--tcp-established] [--pre-dump N] [-- CRIU-DUMP-OPTIONS...]',
  summary: 'Checkpoint process PID and its descendants into the new directory IMG with criu dump, recording the kernel and cr-shim persona in IMG/cr-shim.json.',
  options: [
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
  const { own: [pidText, imgDir], passThrough } = ownAndPassThrough(dumpSpec, p, 2);
  if (pidText === undefined || imgDir === undefined) throw new UsageError('dump', 'needs a PID and an image directory', { code: 'EUSAGE', hint: `usage: ${dumpSpec.usage}` });
  if (!/^\d+$/.test(pidText)) throw new UsageError('dump', `not a PID: ${pidText}`, { code: 'EUSAGE', hint: `usage: ${dumpSpec.usage}` });
  const preText = str(p.options['pre-dump']) ?? '0';
  if (!/^\d+$/.test(preText) || Number(preText) > 100) throw new UsageError('dump', `--pre-dump needs a count 0..100, not ${preText}`, { code: 'EUSAGE' });

  const criuArgs: string[] = [];
  for (const f of PASS_FLAGS) if (flag(p.options[f])) criuArgs.push(`--${f}`);
  const prev = str(p.options['prev-images-dir']);
  if (prev !== undefined) criuArgs.push('--prev-images-dir', prev);
  criuArgs.push(...passThrough);

  checkTarget(Number(pidText));
  const explicit = str(p.options.criu);
  const criu = await locateCriu(explicit === undefined ? {} : { explicit });
  const result = await dumpProcess({ pid: Number(pidText), imgDir, criu, criuArgs, preDumps: Number(preText), share: flag(p.options.share) });
  const m = result.manifest;
  let out: string;
  if (flag(p.options.json)) {
    out = `${JSON.stringify(m, null, 2)}\n`;
  } else {
    const plural = (n: number, w: string, ws = `${w}s`) => `${n} ${n === 1 ? w : ws}`;
    out = `dumped PID ${pidText} (${plural(result.processes, 'process', 'processes')}, ${plural(result.threads, 'thread')}) into ${path.resolve(imgDir)}\n`;
    out += `kernel ${m.kernel.release} (${m.arch}), criu ${m.criu.version}\n`;
    if (m.persona) {
      out += `persona ${m.persona.release} (cr-shim run)${m.shimFilter ? `; cr-shim's filter is seccomp.img filter ${m.shimFilter.index}, dropped at restore` : ''}\n`;
    }
    out += `manifest ${path.join(path.resolve(imgDir), MANIFEST_FILE)}\n`;
  }
  for (const n of result.notices) process.stderr.write(`cr-shim: ${n}\n`);
  await writeStdout(out);
  return 0;
}
