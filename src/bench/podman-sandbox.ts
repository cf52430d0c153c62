/**
 * Podman with everything private (the container tests and `npm run bench`), in a fresh temp dir: its own
 * --root/--runroot (vfs storage), a containers.conf (cgroupfs, runc, the
 * ulimits runc needs here), a `criu` first on PATH that runs cr-shim's CRIU,
 * and an image built locally from busybox-static and the given programs (no registry).
 * Never /etc/containers, /etc/criu or the system's storage.
 *
 * Opt-in is per container: the org.criu.config annotation names a CRIU config
 * file whose `libdir` is the serve sandbox's plugin directory (docs/CONTAINERS.md).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './context.js';

const run = promisify(execFile);
export const IMAGE = 'localhost/cr-shim-test:1';

export interface PodmanSandbox {
  dir: string;
  /** A CRIU config file for org.criu.config: `libdir PLUGIN_DIR`. */
  criuConfig: string;
  /** Run podman ARGS; resolves with stdout, rejects with stderr in the message. */
  podman(args: string[], opts?: { timeoutMs?: number }): Promise<string>;
  /** The host pid of a running container. */
  pid(name: string): Promise<number>;
  /** Everything the container printed. */
  logs(name: string): Promise<string[]>;
  /** A directory for a container's state files, bind-mounted at /state. */
  stateDir(name: string): string;
  remove(): Promise<void>;
}

/** Is Podman with runc installed (scripts/setup-containers.sh)? */
export function podmanInstalled(): boolean {
  return ['/usr/bin/podman', '/usr/sbin/runc', '/usr/bin/conmon'].every((f) => fs.existsSync(f));
}

/** Copy a dynamic program and the libraries ldd names into rootfs, at the same paths. */
async function copyWithLibs(program: string, rootfs: string, at: string): Promise<void> {
  const { stdout } = await run('ldd', [program]);
  const libs = [...stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
  for (const lib of libs) {
    const dst = path.join(rootfs, lib);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), dst);
  }
  fs.copyFileSync(program, path.join(rootfs, at));
  fs.chmodSync(path.join(rootfs, at), 0o755);
}

/**
 * `runtimeWrapper`: register contrib/runtime/runc under runc's own name, pointed at the
 * plugin directory, instead of relying on the per-container annotation.
 */
export async function startPodmanSandbox(opts: {
  criu: string;
  pluginDir: string;
  runtimeWrapper?: boolean;
  /** Dynamic programs copied into the image with their libraries: [host path, path in the image]. */
  programs?: [string, string][];
}): Promise<PodmanSandbox> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-podman-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  // A wrapper, not a symlink: cr-shim's criu script finds its root from its own path.
  fs.writeFileSync(path.join(bin, 'criu'), `#!/bin/sh\nexec ${opts.criu} "$@"\n`, { mode: 0o755 });
  const wrapper = path.join(bin, 'runc-cr-shim');
  fs.writeFileSync(wrapper, `#!/bin/sh\nCR_SHIM_CRIU_LIBDIR=${opts.pluginDir} exec ${path.join(ROOT, 'contrib', 'runtime', 'runc')} "$@"\n`, { mode: 0o755 });
  const conf = path.join(dir, 'containers.conf');
  fs.writeFileSync(
    conf,
    [
      '[containers]',
      // Without them runc fails "error setting rlimit type 7" here.
      'default_ulimits = ["nofile=20000:20000","nproc=32768:32768"]',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      'runtime = "runc"',
      ...(opts.runtimeWrapper ? ['[engine.runtimes]', `runc = ["${wrapper}"]`] : []),
      '',
    ].join('\n'),
  );
  const criuConfig = path.join(dir, 'criu.conf');
  fs.writeFileSync(criuConfig, `libdir ${opts.pluginDir}\n`);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, CONTAINERS_CONF: conf };
  const base = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'runroot'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--runtime', 'runc'];
  const podman = async (args: string[], o: { timeoutMs?: number } = {}) => {
    try {
      return (await run('podman', [...base, ...args], { env, timeout: o.timeoutMs ?? 120_000, maxBuffer: 64 << 20 })).stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`podman ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
    }
  };

  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(rootfs, 'state'));
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  for (const c of ['sh', 'sleep', 'cat', 'uname', 'echo']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', c));
  for (const [program, at] of opts.programs ?? []) await copyWithLibs(program, rootfs, at);
  const tarball = path.join(dir, 'rootfs.tar');
  await run('tar', ['-C', rootfs, '-cf', tarball, '.']);
  await podman(['import', tarball, IMAGE]);

  return {
    dir,
    criuConfig,
    podman,
    pid: async (name) => Number((await podman(['inspect', name, '--format', '{{.State.Pid}}'])).trim()),
    logs: async (name) => (await podman(['logs', name])).split('\n').filter((l) => l !== ''),
    stateDir: (name) => {
      const d = path.join(dir, 'state', name);
      fs.mkdirSync(d, { recursive: true });
      return d;
    },
    remove: async () => {
      await podman(['rm', '-fa', '-t', '0']).catch(() => undefined);
      // Unmounts what the containers left (their shm) and empties the private storage.
      await podman(['system', 'reset', '-f']).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
