/**
 * How the oracle's documents name the machine they ran on. A kernel's build string
 * (`uname -r`'s local version, e.g. "-fc-vNNNN") and its /proc/version differ from one
 * machine of this kind to the next, so committed documents carry neither: the release
 * number only, and the host's own answers as a placeholder.
 */

/** "6.18.44-build7" -> "Linux 6.18.44": the release without the local version. */
export function hostKernelLabel(release: string): string {
  const m = /^\d+\.\d+(?:\.\d+)?/.exec(release);
  return `Linux ${m ? m[0] : release}`;
}

/** The text a document shows for VALUE: a placeholder when it is one of the host's own answers. */
export function redactHostAnswer(value: string, host: { release: string; procVersion: string }): string {
  if (value === host.release) return "(this host's uname -r)";
  if (value === host.procVersion) return "(this host's /proc/version)";
  return value;
}
