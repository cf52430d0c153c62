/** Test helper: the private Podman of src/bench/podman-sandbox.ts, with cr-subject in its image. */
import { IMAGE, startPodmanSandbox as start, type PodmanSandbox } from '../../src/bench/podman-sandbox.js';
import { programPath } from '../helpers/programs.js';

export { IMAGE, type PodmanSandbox };

export function startPodmanSandbox(opts: { criu: string; pluginDir: string; runtimeWrapper?: boolean }): Promise<PodmanSandbox> {
  return start({ ...opts, programs: [[programPath('cr-subject'), 'bin/cr-subject']] });
}
