/**
 * What a restore of a CRIU image on this host would meet, before any restore (`cr-shim check`):
 * the kernels on both sides and the syscalls that differ, what cannot move (files, PIDs), state
 * the host cannot grant and the conversions that fix it, and CRIU's own verdict. Reads only.
 */
import os from 'node:os';
import { probeHost } from '../host/probe.js';
import { resolvePersona } from '../persona/resolve.js';
import { planFor } from '../plan/for-persona.js';
import type { Action } from '../plan/types.js';
import { errnoName } from '../native/errno.js';
import { TableRegistry } from '../tables/registry.js';
import { mainlineOf } from '../tables/release.js';
import { cannotRead, criuCheck, type CriuBinary } from './binary.js';
import { requiredConversions, type Conversion } from './convert.js';
import { filesThatCannotMove, type FileProblem } from './file-check.js';
import { CoreImage } from './image/core.js';
import { readRegFiles } from './image/files.js';
import { openImageDir } from './image-dir.js';
import { imageProblems } from './image-consistency.js';
import { seccompDamage } from './seccomp-integrity.js';
import type { Manifest } from './manifest.js';
import { pidProblems, type PidProblem } from './pids.js';
import { filterSha256 } from './supervised-record.js';
import { renderLeftBehind } from './unmovable/report.js';
import { imageKernel } from './image-kernel.js';
import { chooseKernel, type KernelChoice } from './source-kernel.js';
import { staleNotifyFilters, staleNotifyReason } from './stale-listeners.js';

export interface SyscallDifference {
  nr: number;
  name: string;
  /** What cr-shim does with it: "emulated by uname", "errno EPERM", "errno ENOSYS". */
  action: string;
  reason: string;
}

export interface CheckReport {
  image: string;
  /** From the manifest: when and by what the image was made. */
  dumped?: { time: string; crShim: string; criu: string; pid?: number; kernel: Manifest['kernel'] };
  /** The kernel whose syscall surface the program expects, and where that came from. */
  source: { release: string; mainline: string; from: 'persona' | 'manifest' | '--kernel' | 'image vDSO' | 'assumed host' };
  persona?: { release: string; mainline: string };
  host: { release: string; mainline: string; arch: string };
  tasks: { pid: number; ppid: number; comm?: string; threads: number[]; zombie?: true }[];
  syscalls: { surface: string; host: string; emulated: SyscallDifference[]; unsupported: SyscallDifference[] };
  /** Images that do not add up or do not decode (image-consistency.ts): a restore would fail or hang. */
  damaged: string[];
  files: FileProblem[];
  pids: PidProblem[];
  conversions: Conversion[];
  warnings: string[];
  /** Filters (seccomp.img indices) returning USER_NOTIF whose listener the image lacks: restore refuses them. */
  staleListeners: number[];
  criu: { path: string; version: string; source: string; ok: boolean; output: string; /** It can read this image (not older than the criu that dumped it). */ readsImage: boolean };
  /** No damage, file, PID or CRIU check stands in the way (conversions may still be needed). */
  restorable: boolean;
}

export interface CheckOptions {
  /** The source kernel, overriding the manifest. */
  kernel?: string;
  criu: CriuBinary;
}

const FROM = {
  flag: '--kernel',
  'manifest-persona': 'persona',
  'manifest-kernel': 'manifest',
  'image-vdso': 'image vDSO',
  host: 'assumed host',
} as const satisfies Record<KernelChoice['source'], CheckReport['source']['from']>;

function actionText(a: Action): string {
  if (a.kind === 'notify') return `emulated by ${a.handler}`;
  if (a.kind === 'errno') return `errno ${errnoName(a.errno)}`;
  return 'allowed';
}

/** Build the report. Throws ImageError or TableError for an image that cannot be read at all. */
export async function checkImage(imgDir: string, opts: CheckOptions): Promise<CheckReport> {
  const image = openImageDir(imgDir);
  const m = image.manifest;
  const registry = new TableRegistry();
  const host = probeHost({ registry });

  const choice = chooseKernel(opts.kernel, m, os.release(), imgDir, () => imageKernel(imgDir, image.pstree));
  const source: CheckReport['source'] = { release: choice.release, mainline: mainlineOf(choice.release), from: FROM[choice.source] };

  const persona = resolvePersona(source.release, registry);
  const plan = planFor(persona, registry, host);
  const emulated: SyscallDifference[] = [];
  const unsupported: SyscallDifference[] = [];
  // The dumped tasks are x86_64 processes (openImageDir checked the core images).
  for (const e of plan.arches.find((a) => a.arch === 'x86_64')?.entries ?? []) {
    const row = { nr: e.nr, name: e.name, action: actionText(e.action), reason: e.reason };
    if (e.basis === 'emulated') emulated.push(row);
    else if (e.basis === 'unsupported') unsupported.push(row);
  }

  const tasks = image.pstree.map((t) => {
    const comm = CoreImage.read(imgDir, t.pid).comm();
    return { pid: t.pid, ppid: t.ppid, ...(comm !== undefined ? { comm } : {}), threads: t.threads, ...(image.zombies.includes(t.pid) ? { zombie: true as const } : {}) };
  });

  const damaged = imageProblems(image);
  // A damaged seccomp.img is among `damaged`; what its filters would say is not to be trusted.
  const seccompIntact = seccompDamage(imgDir, m) === undefined;
  const stale = seccompIntact ? staleNotifyFilters(imgDir, m?.shimFilter?.sha256) : [];
  const warnings = stale.map(staleNotifyReason);
  if (m?.leftBehind) warnings.push(...renderLeftBehind(m.leftBehind));
  if (source.from === 'assumed host') warnings.unshift('unknown source kernel (no cr-shim.json, no --kernel, no version note in the image\'s vDSO): assuming this host\'s kernel');
  if (source.from === 'image vDSO' && choice.notice) warnings.unshift(choice.notice);
  if (persona.mainline !== source.mainline) warnings.push(`no syscall table for ${source.mainline}: using the nearest lower release ${persona.mainline}`);

  const tooOld = m !== undefined ? cannotRead(opts.criu, m.criu.version, imgDir) : undefined;
  if (tooOld !== undefined) warnings.push(`${tooOld}: cr-shim restore refuses it`);
  const check = await criuCheck(opts.criu.path);
  const files = filesThatCannotMove(readRegFiles(imgDir));
  const pids = pidProblems(image.pstree);
  return {
    image: imgDir,
    ...(m ? { dumped: { time: m.time, crShim: m.crShim.version, criu: m.criu.version, ...(m.dump ? { pid: m.dump.pid } : {}), kernel: m.kernel } } : {}),
    source,
    ...(m?.persona ? { persona: m.persona } : {}),
    host: { release: host.release, mainline: host.mainline, arch: host.arch },
    tasks,
    syscalls: { surface: persona.mainline, host: host.mainline, emulated, unsupported },
    damaged,
    files,
    pids,
    conversions: seccompIntact ? requiredConversions(imgDir) : [],
    warnings,
    staleListeners: stale,
    criu: { path: opts.criu.path, version: opts.criu.version, source: opts.criu.source, ok: check.ok, output: check.output.trim(), readsImage: tooOld === undefined },
    // cr-shim restore refuses an image with a listener it cannot bring back.
    restorable: damaged.length === 0 && files.length === 0 && pids.length === 0 && check.ok && tooOld === undefined && stale.length === 0,
  };
}
