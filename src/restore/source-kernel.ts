/**
 * Which kernel a restored tree should go on seeing. CRIU's images do not
 * record it, so it comes from, in order: --kernel; the image's cr-shim.json
 * (the persona the program saw under cr-shim, else the kernel it ran on); or,
 * with neither, this host's own release, which is said aloud as an assumption.
 */
import type { Manifest } from '../criu/manifest.js';

export interface KernelChoice {
  release: string;
  source: 'flag' | 'manifest-persona' | 'manifest-kernel' | 'host';
  /** What to tell the user, when the choice is an assumption or overrides the image. */
  notice?: string;
}

/** Pure: decide from the flag, the manifest (if any) and the host's release. */
export function chooseKernel(flag: string | undefined, manifest: Manifest | undefined, hostRelease: string, imgDir: string): KernelChoice {
  const recorded = manifest?.persona?.release ?? manifest?.kernel.release;
  if (flag !== undefined) {
    const notice = recorded !== undefined && recorded !== flag ? `--kernel ${flag} overrides the kernel ${imgDir} records (${recorded})` : undefined;
    return { release: flag, source: 'flag', ...(notice ? { notice } : {}) };
  }
  if (manifest?.persona !== undefined) return { release: manifest.persona.release, source: 'manifest-persona' };
  if (manifest !== undefined) return { release: manifest.kernel.release, source: 'manifest-kernel' };
  return {
    release: hostRelease,
    source: 'host',
    notice: `${imgDir} has no cr-shim.json and no --kernel was given: assuming the image was taken on this host's kernel ${hostRelease} (pass --kernel RELEASE to present another)`,
  };
}
