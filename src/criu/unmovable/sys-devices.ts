/**
 * What sysfs says about a device number: /sys/dev/{char,block}/MAJ:MIN is a link into
 * /sys/devices; its `subsystem` link names the class (misc, drm, sound, input, tty, ...),
 * its `device/driver` link the driver bound to the hardware, and a device under
 * /sys/devices/virtual has no hardware behind it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceFacts } from './classify.js';

/** major and minor of a Linux dev_t (include/linux/kdev_t.h new_decode_dev, as glibc's major()/minor()). */
export function splitDev(rdev: number): { major: number; minor: number } {
  const v = BigInt(rdev);
  const major = Number(((v >> 8n) & 0xfffn) | ((v >> 32n) & ~0xfffn));
  const minor = Number((v & 0xffn) | ((v >> 12n) & ~0xffn));
  return { major, minor };
}

function linkBase(p: string): string | undefined {
  try {
    return path.basename(fs.readlinkSync(p));
  } catch {
    return undefined;
  }
}

/** sysfs facts for a device, or undefined when sysfs does not know it (no driver registered it). */
export function deviceFacts(kind: 'char' | 'block', major: number, minor: number, sysRoot = '/sys'): DeviceFacts | undefined {
  const dir = path.join(sysRoot, 'dev', kind, `${major}:${minor}`);
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return undefined;
  }
  const subsystem = linkBase(path.join(dir, 'subsystem'));
  const driver = linkBase(path.join(dir, 'device', 'driver'));
  return {
    ...(subsystem !== undefined ? { subsystem } : {}),
    name: path.basename(real),
    ...(driver !== undefined ? { driver } : {}),
    virtual: real.startsWith(path.join(sysRoot, 'devices', 'virtual') + path.sep),
  };
}
