/**
 * Which container a CRIU restore is for, from what lies beside its images directory (the only
 * thing the plugin hands the service: CRIU knows no container). Engines keep the images inside
 * the container's own directory:
 *
 *   Podman  …/overlay-containers/ID/userdata/checkpoint     DIR
 *           …/overlay-containers/ID/userdata/config.dump     libpod's container config:
 *                                                            { "id", "name", "labels": {…} } (image labels included)
 *           …/overlay-containers/ID/userdata/config.json     the OCI bundle: { "annotations": {…} }
 *   runc, CRI-O, containerd: the bundle's config.json beside or above DIR; Kubernetes names
 *           the container in annotations (io.kubernetes.container.name, io.kubernetes.cri.container-name).
 *
 * Ids are also taken from the path: a component of 64 hex digits is a container id. Whatever
 * cannot be read is left out: a restore is never refused for lack of a name.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ContainerIdentity {
  ids: string[];
  names: string[];
  /** Labels and OCI annotations, one namespace (labels win). */
  labels: Record<string, string>;
}

const CONTAINER_ID = /^[0-9a-f]{64}$/;
/** Annotations that carry the container's name, by engine. */
const NAME_ANNOTATIONS = ['io.kubernetes.container.name', 'io.kubernetes.cri.container-name', 'io.kubernetes.cri-o.ContainerName'];
/** How far up from DIR the engine's files may be (Podman: one). */
const LEVELS = 2;

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === null || typeof v !== 'object') return out;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** Never throws: what the files beside `imgDir` say, possibly nothing. */
export function containerIdentity(imgDir: string): ContainerIdentity {
  const ids = new Set(imgDir.split('/').filter((c) => CONTAINER_ID.test(c)));
  const names = new Set<string>();
  let labels: Record<string, string> = {};
  for (let dir = imgDir, level = 0; level <= LEVELS; level++, dir = path.dirname(dir)) {
    const oci = readJson(path.join(dir, 'config.json'));
    if (oci !== undefined) {
      const annotations = stringMap(oci['annotations']);
      labels = { ...annotations, ...labels };
      for (const a of NAME_ANNOTATIONS) if (annotations[a] !== undefined) names.add(annotations[a]);
    }
    const libpod = readJson(path.join(dir, 'config.dump'));
    if (libpod !== undefined) {
      if (typeof libpod['id'] === 'string') ids.add(libpod['id']);
      if (typeof libpod['name'] === 'string') names.add(libpod['name']);
      labels = { ...labels, ...stringMap(libpod['labels']) };
    }
  }
  return { ids: [...ids], names: [...names], labels };
}
