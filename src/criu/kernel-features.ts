/**
 * The kernel features cr-shim and a CRIU restore under it need, each probed on the running
 * kernel rather than read from its version (`cr-shim doctor`):
 *
 *   SECCOMP_RET_USER_NOTIF     seccomp(GET_ACTION_AVAIL)                      5.0
 *   pidfd_getfd                pidfd_getfd(-1, 0, 0): EBADF when the call exists   5.6
 *   SECCOMP_FILTER_FLAG_TSYNC_ESRCH  seccomp(SET_MODE_FILTER, TSYNC_ESRCH, NULL):
 *                              EFAULT when the flag is known (the NULL program is read
 *                              after the flags are checked), EINVAL when not      5.7
 *   SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP  NOTIF_SET_FLAGS on a real listener (of /bin/true
 *                              under an allow-all filter): 0 or EINVAL           6.6
 *   ptrace                     PTRACE_SEIZE of a child of ours
 *   CONFIG_CHECKPOINT_RESTORE, CONFIG_MEM_SOFT_DIRTY  /proc/config.gz
 *   ia32 emulation             exec of a minimal i386 ELF that exits 42 (ENOEXEC when off)
 *   pid_max, bounding set      /proc
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import koffi from 'koffi';
import { getSystemErrorMap } from 'node:util';
import { seccompActionAvailable, SECCOMP_ACTIONS } from '../host/features.js';
import { parseKconfig } from '../host/probe.js';
import { launchUnderFilter } from '../native/launcher.js';
import { capNames, hostCaps } from './capabilities.js';
import { pidMax } from './pids.js';

export interface Feature {
  name: string;
  /** ok: present; missing: absent; off: present in the build but switched off; info: a value. */
  state: 'ok' | 'missing' | 'off' | 'info' | 'unknown';
  detail: string;
  /** cr-shim (run, restore, attach) cannot work without it. */
  required: boolean;
}

const SYS_seccomp = 317;
const SYS_pidfd_getfd = 438;
const SYS_ptrace = 101;
const SECCOMP_SET_MODE_FILTER = 1;
const SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 1 << 4;
/** _IOW('!', 4, __u64) */
const SECCOMP_IOCTL_NOTIF_SET_FLAGS = 0x40082104;
const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP = 1;
const PTRACE_SEIZE = 0x4206;
/** BPF_RET|BPF_K SECCOMP_RET_ALLOW: one instruction, struct sock_filter. */
const ALLOW_ALL = Buffer.from([0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x7f]);

type Syscall3 = (nr: number, a: number, b: number, c: number) => number;
type Ioctl = (fd: number, req: number, arg: number) => number;
let libc: { syscall3: Syscall3; ioctl: Ioctl } | undefined;
function sys() {
  if (libc === undefined) {
    const lib = koffi.load('libc.so.6');
    libc = {
      syscall3: lib.func('long syscall(long nr, long a, long b, long c)') as unknown as Syscall3,
      ioctl: lib.func('int ioctl(int fd, unsigned long req, unsigned long arg)') as unknown as Ioctl,
    };
  }
  return libc;
}

const errnoName = (e: number): string => getSystemErrorMap().get(-e)?.[0] ?? `errno ${e}`;

/** Run a raw call; returns 0 or the errno name. */
function call(f: () => number): string | 0 {
  const r = f();
  return r >= 0 ? 0 : errnoName(koffi.errno());
}

function userNotif(): Feature {
  const ok = seccompActionAvailable(SECCOMP_ACTIONS.USER_NOTIF);
  return { name: 'SECCOMP_RET_USER_NOTIF', state: ok ? 'ok' : 'missing', detail: ok ? 'seccomp user notification (5.0+)' : 'needs Linux 5.0+ with CONFIG_SECCOMP_FILTER', required: true };
}

function pidfdGetfd(): Feature {
  const r = call(() => sys().syscall3(SYS_pidfd_getfd, -1, 0, 0));
  const ok = r === 'EBADF';
  return { name: 'pidfd_getfd', state: ok ? 'ok' : 'missing', detail: ok ? 'takes a listener from another process (5.6+)' : `pidfd_getfd(-1) gave ${String(r)}: needs Linux 5.6+`, required: true };
}

function tsyncEsrch(): Feature {
  const r = call(() => sys().syscall3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC_ESRCH, 0));
  const ok = r === 'EFAULT';
  return {
    name: 'SECCOMP_FILTER_FLAG_TSYNC_ESRCH',
    state: ok ? 'ok' : 'missing',
    detail: ok ? 'a listener for every thread of a restored process (5.7+)' : `the flag gave ${String(r)}: needs Linux 5.7+`,
    required: true,
  };
}

async function syncWakeUp(): Promise<Feature> {
  const name = 'SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP';
  try {
    const launched = await launchUnderFilter('/bin/true', [], ALLOW_ALL, { stdio: ['ignore', 'ignore', 'ignore'] });
    const r = call(() => sys().ioctl(launched.listenerFd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP));
    fs.closeSync(launched.listenerFd);
    await launched.child.exited;
    return r === 0
      ? { name, state: 'ok', detail: 'supervisor and program hand over on one CPU (6.6+)', required: false }
      : { name, state: 'missing', detail: `NOTIF_SET_FLAGS gave ${r}: each notification costs a cross-CPU wake-up (6.6+ has it)`, required: false };
  } catch (e) {
    return { name, state: 'unknown', detail: `could not probe: ${(e as Error).message}`, required: false };
  }
}

async function ptraceSeize(): Promise<Feature> {
  const child = spawn('sleep', ['10'], { stdio: 'ignore' });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const r = call(() => sys().syscall3(SYS_ptrace, PTRACE_SEIZE, child.pid!, 0));
    return r === 0
      ? { name: 'ptrace', state: 'ok', detail: 'PTRACE_SEIZE works (injection into restored tasks)', required: true }
      : { name: 'ptrace', state: 'missing', detail: `PTRACE_SEIZE of a child gave ${r} (Yama ptrace_scope, or not root?)`, required: true };
  } catch (e) {
    return { name: 'ptrace', state: 'unknown', detail: `could not probe: ${(e as Error).message}`, required: true };
  } finally {
    // The seized child dies with SIGKILL whatever its tracer does.
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}

function kconfig(): Map<string, string> | undefined {
  try {
    return parseKconfig(zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString('utf8'));
  } catch {
    return undefined;
  }
}

function configOption(config: Map<string, string> | undefined, option: string, what: string, required: boolean): Feature {
  if (config === undefined) return { name: option, state: 'unknown', detail: `/proc/config.gz unreadable; ${what}`, required };
  const v = config.get(option);
  return { name: option, state: v === 'y' ? 'ok' : 'missing', detail: what, required };
}

/*
 * A minimal static i386 ELF executable (ELF32 header, one PT_LOAD program header, then
 * `mov eax,1; mov ebx,42; int 0x80`: exit(42)). A kernel with ia32 emulation off refuses it
 * with ENOEXEC.
 */
function elf32Exit42(): Buffer {
  const base = 0x08048000;
  const code = Buffer.from([0xb8, 0x01, 0x00, 0x00, 0x00, 0xbb, 0x2a, 0x00, 0x00, 0x00, 0xcd, 0x80]);
  const b = Buffer.alloc(52 + 32 + code.length);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0); // ELFCLASS32, little-endian, EV_CURRENT
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(3, 18); // EM_386
  b.writeUInt32LE(1, 20); // e_version
  b.writeUInt32LE(base + 52 + 32, 24); // e_entry
  b.writeUInt32LE(52, 28); // e_phoff
  b.writeUInt16LE(52, 40); // e_ehsize
  b.writeUInt16LE(32, 42); // e_phentsize
  b.writeUInt16LE(1, 44); // e_phnum
  b.writeUInt32LE(1, 52); // PT_LOAD
  b.writeUInt32LE(0, 56); // p_offset
  b.writeUInt32LE(base, 60); // p_vaddr
  b.writeUInt32LE(base, 64); // p_paddr
  b.writeUInt32LE(b.length, 68); // p_filesz
  b.writeUInt32LE(b.length, 72); // p_memsz
  b.writeUInt32LE(5, 76); // PF_R | PF_X
  b.writeUInt32LE(0x1000, 80); // p_align
  b.set(code, 84);
  return b;
}

function ia32Emulation(config: Map<string, string> | undefined): Feature {
  const name = 'ia32 emulation';
  if (config !== undefined && config.get('CONFIG_IA32_EMULATION') !== 'y') {
    return { name, state: 'missing', detail: 'not built (CONFIG_IA32_EMULATION): 32-bit programs cannot run', required: false };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-ia32-'));
  try {
    const file = path.join(dir, 'exit42');
    fs.writeFileSync(file, elf32Exit42(), { mode: 0o755 });
    const r = spawnSync(file, [], { stdio: 'ignore', timeout: 10_000 });
    if (r.status === 42) return { name, state: 'ok', detail: '32-bit programs run', required: false };
    // A refused exec surfaces as the spawn's own failure status (127), not as an error.
    const why = (r.error as NodeJS.ErrnoException | undefined)?.code ?? `exit status ${String(r.status)}, not 42`;
    return { name, state: 'off', detail: `switched off (an i386 test program did not run: ${why}): 32-bit programs cannot run or be restored`, required: false };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function pidMaxFeature(): Feature {
  const max = pidMax();
  return { name: 'pid_max', state: 'info', detail: max === undefined ? 'unreadable' : `${max}: a dump with a PID at or above it cannot be restored here`, required: false };
}

function rootCaps(): Feature {
  const lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  const all = (1n << BigInt(lastCap + 1)) - 1n;
  const lacking = capNames(all & ~hostCaps().bounding);
  return {
    name: 'capabilities',
    state: 'info',
    detail: lacking.length === 0 ? 'root here can hold every capability' : `root here cannot hold ${lacking.join(', ')}: images whose tasks hold them need cr-shim convert (restore does it)`,
    required: false,
  };
}

/** Probe every feature; never throws (a probe that cannot run reports state 'unknown'). */
export async function probeKernelFeatures(): Promise<Feature[]> {
  const config = kconfig();
  return [
    userNotif(),
    pidfdGetfd(),
    tsyncEsrch(),
    await syncWakeUp(),
    await ptraceSeize(),
    configOption(config, 'CONFIG_CHECKPOINT_RESTORE', 'what CRIU needs from the kernel', true),
    configOption(config, 'CONFIG_MEM_SOFT_DIRTY', 'memory change tracking, for criu pre-dump and --track-mem', false),
    ia32Emulation(config),
    pidMaxFeature(),
    rootCaps(),
  ];
}
