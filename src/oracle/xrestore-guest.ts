/**
 * The guest half of the cross-kernel restore check: what runs inside an older Debian kernel
 * under qemu. The guest starts each subject (cr-subject, test/programs/cr-subject.c) from
 * XK_DIR/bin, a path the host recreates with the same bytes (CRIU checks the files a task
 * maps and holds open by path and size), lets it count, dumps it with the suite's own criu,
 * and also lets an undumped twin report, so the guest kernel's own answers come back too.
 *
 * Guest /out layout (the harness reads it back):
 *   uname-r, uname-v, proc-version        the guest kernel's identity
 *   criu-version                          `criu --version` in the guest
 *   CASE/img/                             criu dump -D
 *   CASE/state.progress                   the subject's progress file at the dump (restore needs it, same size)
 *   CASE/dump.pid, CASE/dump.status       the dumped pid; criu dump's exit status
 *   CASE/native.report                    the undumped twin's report on the guest kernel
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { DebianCriu } from './criu-fetch.js';
import { insmodLines } from './kernel-modules.js';

/** Where subjects live in the guest and on the host: the same path in both, so CRIU finds its files. */
export const XK_DIR = '/tmp/cr-shim-xk';

export interface XCase {
  /** Directory name under /out and XK_DIR, e.g. "dynamic". */
  name: string;
  /** File under XK_DIR/bin. */
  program: string;
  mode: 'single' | 'threads';
  /**
   * The dumped tree's first PID. Set through /proc/sys/kernel/ns_last_pid before the start, so
   * the PIDs are far from the low ones a guest hands out (which are taken here) and below this
   * host's pid_max (32768): CRIU restores outside a pid namespace with the PIDs of the dump.
   */
  pid: number;
}

/** The cases, their PIDs inside a window of PID_WINDOW numbers starting at `base`. */
export function xcases(base: number): readonly XCase[] {
  return [
    { name: 'dynamic', program: 'cr-subject', mode: 'single', pid: base + 11 },
    { name: 'static', program: 'cr-subject-static', mode: 'single', pid: base + 111 },
    { name: 'threads', program: 'cr-subject', mode: 'threads', pid: base + 211 },
  ];
}

/** Numbers of PIDs the cases use, from their base. */
export const PID_WINDOW = 300;

export const XCASES: readonly XCase[] = xcases(30_000);

/**
 * A base for xcases() whose whole window is free on this host now: CRIU restores outside a
 * pid namespace with the PIDs of the dump, so they must not be taken here. Taken well behind
 * the PID counter (ns_last_pid): the numbers just ahead of it are handed out to the processes
 * this run itself starts (a fixed window was once hit by the harness's own node), and numbers
 * freed long ago come back only after a full wrap of pid_max.
 */
export function freePidWindow(procDir = '/proc'): number {
  const max = Number(fs.readFileSync(`${procDir}/sys/kernel/pid_max`, 'utf8'));
  const last = Number(fs.readFileSync(`${procDir}/sys/kernel/ns_last_pid`, 'utf8'));
  const used = new Set(fs.readdirSync(procDir).filter((n) => /^\d+$/.test(n)).map(Number));
  const lo = 1000;
  const hi = Math.min(max, 32_768) - PID_WINDOW - 1;
  for (let back = 4000; back < hi; back += 250) {
    let base = last - back;
    while (base < lo) base += hi - lo;
    let free = true;
    for (let p = base; p < base + PID_WINDOW && free; p++) free = !used.has(p);
    if (free) return base;
  }
  throw new Error(`no window of ${PID_WINDOW} free PIDs below ${hi + PID_WINDOW}`);
}

/** Where the criu bundle is unpacked in the guest. */
const CRIU_PREFIX = '/xk-criu';

/** A tar of the criu files (symlinks followed: the guest gets plain files), byte-identical for the same files so the guest run can be cached. */
export function criuBundle(criu: DebianCriu, tarFile: string): void {
  const stage = `${tarFile}.d`;
  fs.rmSync(stage, { recursive: true, force: true });
  for (const f of criu.files) {
    const dst = path.join(stage, f);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(fs.realpathSync(path.join(criu.root, f)), dst);
    fs.chmodSync(dst, 0o755);
  }
  execFileSync('tar', ['-c', '-f', tarFile, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', stage, '.']);
  fs.rmSync(stage, { recursive: true, force: true });
}

/**
 * run.sh for the guest (busybox sh, `$1` = /out). Every subject runs with
 * GLIBC_TUNABLES=glibc.pthread.rseq=0: glibc registers rseq, and criu dump refuses a task with
 * rseq on a kernel without ptrace(PTRACE_GET_RSEQ_CONFIGURATION) (5.13), e.g. 5.10.
 * CRIU_FAULT=130 (no hardware breakpoints in the parasite) as on the host (scripts/setup-criu.sh).
 * MODULES: file names under /payload, in load order.
 */
export function guestScript(criu: DebianCriu, modules: readonly string[], cases: readonly XCase[] = XCASES): string {
  const libPath = criu.libDirs.map((d) => `${CRIU_PREFIX}/${d}`).join(':');
  const lines = [
    'OUT=$1',
    'set -x',
    `mkdir -p ${CRIU_PREFIX} ${XK_DIR}/bin`,
    `tar -x -f /payload/criu.tar -C ${CRIU_PREFIX}`,
    `criu() { CRIU_FAULT=130 ${CRIU_PREFIX}/${criu.ldso} --library-path ${libPath} ${CRIU_PREFIX}/${criu.criu} "$@"; }`,
    `cp /payload/cr-subject /payload/cr-subject-static ${XK_DIR}/bin/`,
    // criu's start-up probe needs nftables (src/oracle/kernel-modules.ts); in dependency order.
    ...insmodLines(modules),
    // criu's start-up probes TCP repair over 127.0.0.1: without lo up it fails "Network is unreachable".
    'ip link set lo up',
    // The initramfs root is mode 1777; CRIU checks the mode of a task's root directory on
    // restore ("File . has bad mode"), and this host's / is 0755.
    'chmod 0755 /',
    'uname -r >$OUT/uname-r; uname -v >$OUT/uname-v; cat /proc/version >$OUT/proc-version',
    'criu --version | sed -n "s/^Version: *//p" >$OUT/criu-version',
    'export GLIBC_TUNABLES=glibc.pthread.rseq=0',
    // ld.so's lazy-binding trampoline saves registers with XSAVE into a stack area sized from
    // CPUID at start-up: in the TCG guest (no AVX-512) that is 1088 bytes, and on this host's
    // AVX-512 CPU the same XSAVE writes more, overrunning it (the restored program faults in
    // _dl_fixup on the first unresolved call). Binding every symbol at start-up avoids it.
    'export LD_BIND_NOW=1',
  ];
  for (const c of cases) {
    const dir = `${XK_DIR}/${c.name}`;
    const prog = `${XK_DIR}/bin/${c.program}`;
    lines.push(
      `mkdir -p ${dir} ${dir}-native $OUT/${c.name}/img`,
      `echo ${c.pid - 1} >/proc/sys/kernel/ns_last_pid`,
      `cd ${XK_DIR}`,
      `${prog} ${c.mode} ${dir}/state </dev/null >/dev/null 2>&1 &`,
      'pid=$!',
      'cd /',
      `echo $pid >$OUT/${c.name}/dump.pid`,
      // TCG runs ticks slower than real time, but a few of them in two seconds.
      'sleep 2',
      // The undumped twin, started after the subject so its PIDs cannot take the subject's
      // threads' ones: its report is the guest kernel's own answer.
      `touch ${dir}-native/state.go`,
      `${prog} ${c.mode} ${dir}-native/state </dev/null >/dev/null 2>&1 &`,
      `criu dump -t $pid -D $OUT/${c.name}/img -o dump.log -v4; echo $? >$OUT/${c.name}/dump.status`,
      `cp ${dir}/state.progress $OUT/${c.name}/state.progress`,
      `i=0; while [ $i -lt 50 ] && [ ! -f ${dir}-native/state ]; do sleep 0.2; i=$((i+1)); done`,
      `cp ${dir}-native/state $OUT/${c.name}/native.report`,
    );
  }
  lines.push('ls -lR $OUT >$OUT/listing.txt', 'exit 0');
  return `${lines.join('\n')}\n`;
}
