/**
 * From a requested release (2.6.32, 3.10.0, 5.4.0-150-generic) to a Persona:
 * the tables of its mainline release (or the nearest lower known one) and an
 * identity. The version string and /proc/version are synthesized from the
 * release's date and a compiler of its day (tables/releases.json), in the
 * format mainline kernels print (init/version.c linux_proc_banner).
 * A release with a captured persona (tables/personas/<release>.json, written by
 * `cr-shim persona capture`) gets that build's exact identity instead.
 */
import os from 'node:os';
import type { TableRegistry } from '../tables/registry.js';
import { nearestKnown } from '../tables/release.js';
import { loadPersonaFile } from './file.js';
import type { Persona } from './types.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Thu Dec 3 12:00:00 UTC 2009", as `date` prints UTS_VERSION's build time. */
export function bannerDate(isoDate: string): string {
  const d = new Date(`${isoDate}T12:00:00Z`);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} 12:00:00 UTC ${d.getUTCFullYear()}`;
}

export function resolvePersona(requested: string, registry: TableRegistry): Persona {
  const { release: mainline, exact } = nearestKnown(requested, registry.releases('x86_64'));
  const captured = loadPersonaFile(requested, registry.dir);
  if (captured) {
    const src = captured.source;
    const what = src.package ? `${src.package} ${src.packageVersion ?? ''}`.trim() : src.kind;
    return {
      release: captured.release,
      // The captured build names its mainline; tables may not reach it, so fall back as for any release.
      mainline: registry.releases('x86_64').includes(captured.mainline) ? captured.mainline : mainline,
      exact,
      version: captured.version,
      sysname: captured.sysname,
      procVersion: captured.procVersion,
      origin: `captured from ${what} on ${src.captured} (tables/personas/${captured.release}.json)`,
      absent: captured.probe.absent,
    };
  }
  const info = registry.releaseInfo(mainline);
  const version = `#1 SMP ${bannerDate(info.date)}`;
  return {
    release: requested,
    mainline,
    exact,
    version,
    sysname: 'Linux',
    procVersion: `Linux version ${requested} (cr-shim@persona) (gcc version ${info.gcc} (GCC) ) ${version}\n`,
    origin: `synthesized from tables/releases.json (${mainline}, released ${info.date})`,
  };
}

/** This host's own identity: the persona of a run without --kernel. */
export function hostPersona(registry: TableRegistry, readProcVersion: () => string): Persona {
  const release = os.release();
  const { release: mainline } = nearestKnown(release, registry.releases('x86_64'));
  return {
    release, mainline, exact: true, version: os.version(), sysname: os.type(),
    procVersion: readProcVersion(), origin: 'this host',
  };
}
