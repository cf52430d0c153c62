/**
 * Boot a kernel with an initramfs under qemu and bring back what the payload left in /out.
 * KVM when /dev/kvm opens, TCG otherwise. The console (ttyS0) goes to console.log for
 * diagnosis; the payload's files come back over ttyS1 as a base64 tar stream between
 * OUT_BEGIN and OUT_END lines (see initramfs.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ShimError } from '../errors.js';
import { OUT_BEGIN, OUT_END } from './initramfs.js';

export interface BootSpec {
  kernel: string;
  initrd: string;
  /** Directory for console.log, serial1.txt and out/ (created; out/ emptied first). */
  workDir: string;
  /** Kill qemu after this long. */
  timeoutMs: number;
  memory?: string;
  qemu?: string;
}

export interface BootResult {
  /** The payload's /out, unpacked. */
  outDir: string;
  /** sh's exit status of the payload script. */
  payloadStatus: number;
  accel: 'kvm' | 'tcg';
  elapsedMs: number;
  consoleLog: string;
}

/** KVM when /dev/kvm can be opened read-write (it exists but fails on hosts without vmx/svm). */
export function pickAccel(): 'kvm' | 'tcg' {
  try {
    fs.closeSync(fs.openSync('/dev/kvm', 'r+'));
    return 'kvm';
  } catch {
    return 'tcg';
  }
}

/**
 * CPU features that change a syscall's answer, as /proc/cpuinfo flag -> qemu property.
 * The guest gets them only when this host has them, so the comparison shows kernel
 * differences rather than CPU ones (pkey_alloc answers EINVAL without PKU).
 */
const MIRRORED_CPU_FLAGS: readonly { flag: string; prop: string }[] = [{ flag: 'pku', prop: 'pku' }];

/** The -cpu argument: the host's CPU under KVM; under TCG qemu's "max" model, trimmed to the host's features. */
export function guestCpu(accel: 'kvm' | 'tcg', cpuinfo = readCpuinfo()): string {
  if (accel === 'kvm') return 'host';
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/));
  return ['max', ...MIRRORED_CPU_FLAGS.filter((f) => !flags.has(f.flag)).map((f) => `${f.prop}=off`)].join(',');
}

function readCpuinfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** The base64 text between the markers, or undefined when the stream is missing or cut short. */
export function extractStream(serial: string): Buffer | undefined {
  const begin = serial.indexOf(`${OUT_BEGIN}\n`);
  if (begin < 0) return undefined;
  const end = serial.indexOf(OUT_END, begin);
  if (end < 0) return undefined;
  return Buffer.from(serial.slice(begin + OUT_BEGIN.length + 1, end).replace(/\s+/g, ''), 'base64');
}

/** Boot, wait for poweroff (or the timeout), unpack /out. Throws ShimError naming what failed. */
export async function bootAndCollect(spec: BootSpec): Promise<BootResult> {
  const accel = pickAccel();
  fs.mkdirSync(spec.workDir, { recursive: true });
  const consoleFile = path.join(spec.workDir, 'console.log');
  const serialFile = path.join(spec.workDir, 'serial1.txt');
  const outDir = path.join(spec.workDir, 'out');
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.rmSync(serialFile, { force: true });
  const args = [
    '-accel', accel,
    '-cpu', guestCpu(accel),
    '-m', spec.memory ?? '512M',
    '-smp', '1',
    '-nographic', '-no-reboot', '-monitor', 'none',
    '-serial', `file:${consoleFile}`,
    '-serial', `file:${serialFile}`,
    '-kernel', spec.kernel,
    '-initrd', spec.initrd,
    '-append', 'console=ttyS0 panic=-1 quiet',
  ];
  const qemu = spec.qemu ?? 'qemu-system-x86_64';
  const started = Date.now();
  const { code, timedOut, stderr } = await new Promise<{ code: number | null; timedOut: boolean; stderr: string }>((resolve, reject) => {
    const child = spawn(qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, spec.timeoutMs);
    child.on('error', (cause) => {
      clearTimeout(timer);
      reject(new ShimError('oracle qemu', `cannot start ${qemu}`, { cause, code: (cause as NodeJS.ErrnoException).code, hint: 'bash scripts/oracle/setup.sh installs qemu-system-x86' }));
    });
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve({ code: c, timedOut, stderr: err });
    });
  });
  const elapsedMs = Date.now() - started;
  const consoleLog = fs.existsSync(consoleFile) ? fs.readFileSync(consoleFile, 'utf8') : '';
  const tail = consoleLog.split('\n').slice(-5).join(' | ').trim();
  if (timedOut) {
    throw new ShimError('oracle qemu', `${path.basename(spec.kernel)} did not power off within ${spec.timeoutMs} ms (console: ${tail || 'empty'})`, { code: 'ETIMEDOUT', hint: `see ${consoleFile}` });
  }
  if (code !== 0) {
    throw new ShimError('oracle qemu', `${qemu} exited with ${String(code)}: ${stderr.trim().split('\n').pop() ?? ''}`, { code: 'EIO', hint: `see ${consoleFile}` });
  }
  const tar = extractStream(fs.existsSync(serialFile) ? fs.readFileSync(serialFile, 'latin1') : '');
  if (tar === undefined) {
    throw new ShimError('oracle qemu', `no output stream on the guest's ttyS1 (console: ${tail || 'empty'})`, { code: 'EIO', hint: `see ${consoleFile}` });
  }
  fs.mkdirSync(outDir, { recursive: true });
  execFileSync('tar', ['-x', '-C', outDir], { input: tar });
  const statusText = fs.existsSync(path.join(outDir, 'payload.status')) ? fs.readFileSync(path.join(outDir, 'payload.status'), 'utf8').trim() : '';
  return { outDir, payloadStatus: statusText === '' ? -1 : Number(statusText), accel, elapsedMs, consoleLog };
}
