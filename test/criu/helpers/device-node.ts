/**
 * The device node the unmovable tests open: the first of these the host has as a character
 * device, in this order, so every host of a kind picks the same one. Each is a misc driver
 * CRIU has no dumper for here (tun: none outside a network namespace of the tree's own), and
 * opening one changes nothing on the machine. No such node is a failure, never a skip.
 */
import fs from 'node:fs';

export const DEVICE_CANDIDATES: readonly string[] = ['/dev/fuse', '/dev/net/tun', '/dev/loop-control', '/dev/btrfs-control'];

export function pickDevice(): string {
  for (const p of DEVICE_CANDIDATES) {
    try {
      if (fs.statSync(p).isCharacterDevice()) return p;
    } catch {
      // Not on this host: try the next.
    }
  }
  throw new Error(`none of ${DEVICE_CANDIDATES.join(', ')} is a character device on this host: the unmovable-device tests need one (modprobe fuse)`);
}
