/**
 * What a restore of a CRIU image on this host would meet, before any restore (`cr-shim check`):
 * the kernels on both sides and the syscalls that differ, what cannot move (files, PIDs), state
 * the host cannot grant and the conversions that fix it, and CRIU's own verdict. Reads only.
 */
import os from 'node:os';
import { decode } from '../bpf/encode.js';
import { BPF_K, BPF_RET, SECCOMP_RET, SECCOMP_RET_ACTION_FULL } from '../bpf/insn.js';
import { probeHost } from '../host/probe.js';
import { resolvePersona } from '../persona/resolve.js';
import { planFor } from '../plan/for-persona.js';
import type { Action } from '../plan/types.js';
import { errnoName } from '../native/errno.js';
import { TableRegistry } from '../tables/registry.js';
import { mainlineOf } from '../tables/release.js';
import { criuCheck, type CriuBinary } from './binary.js';
import { requiredConversions, type Conversion } from './convert.js';
import { filesThatCannotMove, type FileProblem } from './file-check.js';
import { CoreImage } from './image/core.js';
import { readRegFiles } from './image/files.js';
import { readImageFilters } from './image/seccomp.js';
import { openImageDir } from './image-dir.js';
import type { Manifest } from './manifest.js';
import { pidProblems, type PidProblem } from './pids.js';
import { filterSha256 } from './supervised-record.js';

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
  source: { release: string; mainline: string; from: 'persona' | 'manifest' | '--kernel' | 'assumed host' };
  persona?: { release: string; mainline: string };
  host: { release: string; mainline: string; arch: string };
  tasks: { pid: number; ppid: number; comm?: string; threads: number[]; zombie?: true }[];
  syscalls: { surface: string; host: string; emulated: SyscallDifference[]; unsupported: SyscallDifference[] };
  files: FileProblem[];
  pids: PidProblem[];
  conversions: Conversion[];
  warnings: string[];
  criu: { path: string; version: string; source: string; ok: boolean; output: string };
  /** No file, PID or CRIU check stands in the way (conversions may still be needed). */
  restorable: boolean;
}

export interface CheckOptions {
  /** The source kernel, overriding the manifest. */
  kernel?: string;
  criu: CriuBinary;
}

function actionText(a: Action): string {
  if (a.kind === 'notify') return `emulated by ${a.handler}`;
  if (a.kind === 'errno') return `errno ${errnoName(a.errno)}`;
  return 'allowed';
}

/** Programs' own filters that hand calls to a supervisor: the listener does not survive a dump. */
function notifyingFilters(imgDir: string, shimSha: string | undefined): string[] {
  const out: string[] = [];
  for (const f of readImageFilters(imgDir).filters) {
    if (shimSha !== undefined && filterSha256(f.insns) === shimSha) continue;
    let insns;
    try {
      insns = decode(f.insns);
    } catch {
      continue;
    }
    const notifies = insns.some((i) => i.code === (BPF_RET | BPF_K) && ((i.k & SECCOMP_RET_ACTION_FULL) >>> 0) === SECCOMP_RET.USER_NOTIF);
    if (notifies) {
      out.push(
        `seccomp filter ${f.index} (not cr-shim's) returns SECCOMP_RET_USER_NOTIF: its supervisor's listener is not in the image, so after a restore those calls fail with ENOSYS`,
      );
    }
  }
  return out;
}

/** Build the report. Throws ImageError or TableError for an image that cannot be read at all. */
export async function checkImage(imgDir: string, opts: CheckOptions): Promise<CheckReport> {
  const image = openImageDir(imgDir);
  const m = image.manifest;
  const registry = new TableRegistry();
  const host = probeHost({ registry });

  let source: CheckReport['source'];
  if (opts.kernel !== undefined) source = { release: opts.kernel, mainline: mainlineOf(opts.kernel), from: '--kernel' };
  else if (m?.persona) source = { release: m.persona.release, mainline: m.persona.mainline, from: 'persona' };
  else if (m) source = { release: m.kernel.release, mainline: m.kernel.mainline, from: 'manifest' };
  else source = { release: os.release(), mainline: mainlineOf(os.release()), from: 'assumed host' };

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

  const warnings = notifyingFilters(imgDir, m?.shimFilter?.sha256);
  if (source.from === 'assumed host') warnings.unshift('unknown source kernel (no cr-shim.json, no --kernel): assuming this host\'s kernel');
  if (persona.mainline !== source.mainline) warnings.push(`no syscall table for ${source.mainline}: using the nearest lower release ${persona.mainline}`);

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
    files,
    pids,
    conversions: requiredConversions(imgDir),
    warnings,
    criu: { path: opts.criu.path, version: opts.criu.version, source: opts.criu.source, ok: check.ok, output: check.output.trim() },
    restorable: files.length === 0 && pids.length === 0 && check.ok,
  };
}
