/** What the report says about the machine it ran on. */
import fs from 'node:fs';
import os from 'node:os';
import type { HostInfo } from './types.js';

/** The CPU model from /proc/cpuinfo (os.cpus() can be empty in some sandboxes). */
function cpuModel(): string {
  const fromOs = os.cpus()[0]?.model;
  if (fromOs) return fromOs.trim();
  try {
    return /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * /proc/pressure/cpu:  LINE ::= ("some" | "full") " avg10=" F " avg60=" F " avg300=" F " total=" N
 * The "some" line's avg60, or undefined without PSI (CONFIG_PSI, psi=1).
 */
export function cpuPressure(text?: string): number | undefined {
  let t = text;
  if (t === undefined) {
    try {
      t = fs.readFileSync('/proc/pressure/cpu', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^some avg10=[\d.]+ avg60=([\d.]+)/m.exec(t);
  return m ? Number(m[1]) : undefined;
}

/**
 * The kernel as the report names it: the upstream release only ("6.18.44"). The rest of
 * uname -r is this machine's build string, which differs from one machine of the same kind to
 * the next; a committed report must not carry it.
 */
export function kernelForReport(release: string): string {
  return /^\d+\.\d+(?:\.\d+)?/.exec(release)?.[0] ?? release;
}

export function hostInfo(start: Date, loadStart: number[], pressureStart: number | undefined): HostInfo {
  const pressureEnd = cpuPressure();
  return {
    date: start.toISOString(),
    kernel: kernelForReport(os.release()),
    cpuModel: cpuModel(),
    cpus: os.cpus().length || os.availableParallelism(),
    node: process.version,
    loadStart,
    loadEnd: os.loadavg(),
    ...(pressureStart !== undefined && pressureEnd !== undefined ? { cpuPressure: { start: pressureStart, end: pressureEnd } } : {}),
  };
}
