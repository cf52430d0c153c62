/**
 * The binary sysctl names of tables/sysctl-binary.json as a lookup for the
 * _sysctl handler. Names under a network interface ("{ifindex}") are not
 * resolved: the interface indices of the image's kernel mean nothing here.
 */
import { loadSysctlBinaryFile } from '../tables/load.js';
import type { BinarySysctl, SysctlLookup } from './sysctl.js';

export function loadSysctlLookup(tablesDir?: string): SysctlLookup {
  const file = tablesDir === undefined ? loadSysctlBinaryFile() : loadSysctlBinaryFile(tablesDir);
  const map = new Map<string, BinarySysctl | 'dir'>();
  for (const e of file.entries) {
    if (e.name.some((n) => typeof n !== 'number')) continue;
    const key = e.name.join('.');
    map.set(key, e.type === 'dir' ? 'dir' : { name: e.name as number[], path: e.path, type: e.type });
  }
  return (name) => map.get(name.join('.'));
}

/**
 * loadSysctlLookup on first use: the supervisor worker builds every handler
 * before the program may start, and most personas never route _sysctl, so
 * reading and validating the table (tens of ms on the development VM) should
 * not delay every run's start.
 */
export function lazySysctlLookup(tablesDir?: string): SysctlLookup {
  let lookup: SysctlLookup | undefined;
  return (name) => (lookup ??= loadSysctlLookup(tablesDir))(name);
}
