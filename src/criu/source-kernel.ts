/**
 * Which kernel a restored tree should go on seeing (restore) or is checked against (check).
 * CRIU's images do not record it by name, so it comes from, in order: --kernel; the image's
 * cr-shim.json (the persona the program saw under cr-shim, else the kernel it ran on); the
 * LINUX_VERSION_CODE in the image's vDSO (image-kernel.ts: MAJOR.MINOR.SUBLEVEL, without the
 * distribution's suffix); or, with none of these, this host's own release. Every guess is
 * said aloud.
 */
import type { ImageKernel } from './image-kernel.js';
import type { Manifest } from './manifest.js';

export interface KernelChoice {
  release: string;
  source: 'flag' | 'manifest-persona' | 'manifest-kernel' | 'image-vdso' | 'host';
  /** What to tell the user, when the choice is an inference or an assumption or overrides the image. */
  notice?: string;
}

const hex = (code: number): string => `0x${code.toString(16).padStart(6, '0')}`;

/**
 * Pure: decide from the flag, the manifest (if any), the image's vDSO note (asked only when
 * neither decides) and the host's release.
 */
export function chooseKernel(
  flag: string | undefined,
  manifest: Manifest | undefined,
  hostRelease: string,
  imgDir: string,
  fromImage: () => ImageKernel | { reason: string } = () => ({ reason: 'not read' }),
): KernelChoice {
  const recorded = manifest?.persona?.release ?? manifest?.kernel.release;
  if (flag !== undefined) {
    const notice = recorded !== undefined && recorded !== flag ? `--kernel ${flag} overrides the kernel ${imgDir} records (${recorded})` : undefined;
    return { release: flag, source: 'flag', ...(notice ? { notice } : {}) };
  }
  if (manifest?.persona !== undefined) return { release: manifest.persona.release, source: 'manifest-persona' };
  if (manifest !== undefined) return { release: manifest.kernel.release, source: 'manifest-kernel' };
  const image = fromImage();
  if ('code' in image) {
    return {
      release: image.release,
      source: 'image-vdso',
      notice:
        `${imgDir} has no cr-shim.json and no --kernel was given: the vDSO of process ${image.pid} in the image says Linux ${image.release} ` +
        `(LINUX_VERSION_CODE ${hex(image.code)}), so ${image.release} is presented; the note cannot tell the distribution's release suffix ` +
        `(e.g. -32-amd64): pass --kernel RELEASE to present an exact release string`,
    };
  }
  return {
    release: hostRelease,
    source: 'host',
    notice: `${imgDir} has no cr-shim.json and no --kernel was given, and its vDSO names no kernel (${image.reason}): assuming the image was taken on this host's kernel ${hostRelease} (pass --kernel RELEASE to present another)`,
  };
}
