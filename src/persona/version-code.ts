/**
 * LINUX_VERSION_CODE of a persona, the value a kernel puts in its vDSO's "Linux" note
 * (include/generated/uapi/linux/version.h): KERNEL_VERSION(a, b, c) = (a << 16) + (b << 8)
 * + min(c, 255); the sublevel saturates at 255 since 4.9.256 and 4.14.256 (before that
 * it overflowed into the minor).
 *
 * A distribution's release string does not say the upstream sublevel ("6.1.0-56-amd64"
 * is built from 6.1.192); Debian's uname version does ("#1 SMP ... Debian 6.1.192-2 (...)"),
 * and a captured persona keeps it, so it is preferred when present.
 */
import type { Persona } from './types.js';

/** KERNEL_VERSION(MAJOR, MINOR, SUBLEVEL) of a release string ("5.4.0-150-generic", "4.19"); undefined when it does not start with MAJOR.MINOR. */
export function versionCode(release: string): number | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (m === null) return undefined;
  const [major, minor, sub] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (major > 255 || minor > 255) return undefined;
  return (major << 16) + (minor << 8) + Math.min(sub, 255);
}

/** The upstream release a Debian kernel's uname version names ("Debian 6.1.192-2"), if it names one. */
function debianUpstream(version: string): string | undefined {
  return /\bDebian (\d+\.\d+\.\d+)-/.exec(version)?.[1];
}

/** The persona's LINUX_VERSION_CODE: from its Debian upstream version when its uname version names one, else from its release. */
export function personaVersionCode(persona: Pick<Persona, 'release' | 'version'>): number | undefined {
  const upstream = debianUpstream(persona.version);
  return versionCode(upstream ?? persona.release);
}
