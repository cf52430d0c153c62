/**
 * Never unsupervised: a supervised tree dies with its supervisor, whatever killed it.
 *
 * Every task of the tree goes into a cgroup of its own in the cgroup v2 hierarchy
 * (cr-shim.PID.STARTTIME, under cr-shim's own v2 cgroup), before it runs a single
 * unsupervised instruction; children inherit it wherever they are re-parented, so a daemonized
 * descendant stays in. A small native guard (native/guardian.c) watches the supervisor through a
 * pidfd: if the supervisor ends without releasing it (SIGKILL included), the guard writes
 * cgroup.kill (5.14+; the kernel marks the cgroup first, so no fork escapes) and removes the
 * cgroup. PR_SET_PDEATHSIG alone cannot do this: it covers one process, images restored from
 * elsewhere do not carry it, and a daemon's is cleared on fork.
 *
 * The guard also holds a copy of every listener. A listener closed by its supervisor's death
 * makes each trapped call fail with ENOSYS at once (the kernel's answer without a listener);
 * one held open makes it wait for an answer instead, so the program never sees a wrong answer
 * between the supervisor's death and the kill, only the kill.
 *
 * Only the v2 hierarchy is used, which on a v1 "hybrid" host holds no controllers: moving a task
 * there changes none of its v1 cgroups (memory, pids, ...), only the "0::" line of
 * /proc/PID/cgroup. When no cgroup2 is mounted, cr-shim mounts one under its run directory.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { ShimError } from '../errors.js';
import { buildOutput } from '../native/addon.js';
import { FrameReader } from '../native/launcher.js';
import { fdPair, spawnProcess } from '../native/spawn.js';
import { claimChild } from '../native/child-claims.js';
import { cgroupOf, recordDir, recordSupervised, startTimeOf, type FilterIdentity } from '../criu/supervised-record.js';
import { timed } from '../phase-trace.js';

export const GUARD_PATH = buildOutput('cr-shim-guard');

/** Rounds of "list the tree, move it in" before giving up on a tree that keeps forking. */
const ADOPT_ROUNDS = 50;
/** cr-shim.SUPERVISOR.STARTTIME, and .TAG when one supervisor guards several trees (cr-shim serve). */
const GUARD_NAME = /^cr-shim\.(\d+)\.(\d+)(?:\.[A-Za-z0-9_-]+)?$/;

export interface TreeGuard {
  /** The cgroup's directory, e.g. /sys/fs/cgroup/unified/cr-shim.123.456. */
  readonly dir: string;
  /** Its path as /proc/PID/cgroup shows it ("0::" line). */
  readonly path: string;
  /**
   * Move every process `list` returns into the cgroup, and list again until all of them are in
   * (a process forked while its parent was being moved is caught by the next round).
   * Throws ShimError when a live process cannot be moved.
   */
  adopt(list: () => readonly number[]): void;
  /**
   * Have the guard hold a copy of each of these listeners (fds of this process), so that the
   * tree's trapped calls wait for the kill instead of failing with ENOSYS if cr-shim dies.
   * Throws ShimError when the guard cannot copy one.
   */
  hold(listenerFds: readonly number[]): Promise<void>;
  /**
   * Supervision ended. 'release': the guard removes the cgroup, kills nothing, and exits;
   * 'kill': it kills whatever is left in the cgroup first (the supervisor failed).
   */
  release(how?: 'release' | 'kill'): Promise<void>;
}

/*
 * /proc/self/mountinfo ::= { ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] "-" FSTYPE SOURCE SUPER }
 * Mount points escape space, tab, newline and backslash as octal (\040).
 */
/** Mount point of the cgroup2 hierarchy's root in `mountinfo`, or undefined. */
export function cgroup2Mount(mountinfo: string): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (right === undefined || right.split(' ')[0] !== 'cgroup2') continue;
    const f = left!.split(' ');
    if (f[3] !== '/') continue;
    return f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  }
  return undefined;
}

/** The cgroup2 hierarchy's root directory, mounted under cr-shim's run directory first if the host has none. Throws ShimError. */
export function cgroup2Root(): string {
  const fromInfo = cgroup2Mount(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  if (fromInfo !== undefined) return fromInfo;
  const dir = path.join(recordDir(), 'cgroup2');
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    // Loaded here only: a host with cgroup2 mounted (every one cr-shim is tested on) never needs child_process.
    const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    execFileSync('mount', ['-t', 'cgroup2', 'cgroup2', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (cause) {
    const stderr = (cause as { stderr?: Buffer }).stderr?.toString().trim();
    throw new ShimError('guard the tree', `no cgroup2 hierarchy is mounted and mounting one at ${dir} failed${stderr ? `: ${stderr}` : ''}`, {
      cause,
      code: 'ENOTSUP',
      hint: 'cr-shim needs the cgroup v2 hierarchy (Linux 5.14+ for cgroup.kill) to kill a tree whose supervisor died; mount it (mount -t cgroup2 none /sys/fs/cgroup/unified) and run as root',
    });
  }
  return dir;
}

/**
 * Remove the cgroups a restored tree came back in, now that it has left them: CRIU recreates
 * the guard cgroup of the cr-shim the image was dumped under. Only those (a dead cr-shim's,
 * by name) and only the ones this tree left: another restore may be about to move its tasks
 * into one CRIU just made, so no wider sweep. Best effort (rmdir fails on a populated one).
 */
function removeLeft(mount: string, left: ReadonlySet<string>): void {
  for (const cg of left) {
    const m = GUARD_NAME.exec(path.posix.basename(cg));
    if (m === null || startTimeOf(Number(m[1])) === m[2]) continue;
    try {
      fs.rmdirSync(path.join(mount, cg));
    } catch {
      // Still populated, or removed meanwhile.
    }
  }
}

function moveInto(procs: string, pid: number): void {
  try {
    fs.writeFileSync(procs, `${pid}\n`);
  } catch (cause) {
    // Gone, or a zombie (ESRCH, EINVAL): it runs nothing any more.
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || !fs.existsSync(`/proc/${pid}`) || isZombie(pid)) return;
    throw new ShimError('guard the tree', `cannot move process ${pid} into ${path.dirname(procs)}: ${(cause as Error).message}`, { cause, code });
  }
}

function isZombie(pid: number): boolean {
  return /^State:\s+[ZX]/m.test(safeRead(`/proc/${pid}/status`));
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Create this supervisor's cgroup and start its guard. Call once per supervised tree, before any
 * of the tree's tasks may run; hold() their listeners and adopt() them, then release() when
 * supervision ends normally.
 * `tag` tells apart the trees of a supervisor that serves several ([A-Za-z0-9_-]).
 * Throws ShimError (op "guard the tree") when no cgroup can be made or the guard does not start.
 */
export async function guardTree(tag?: string): Promise<TreeGuard> {
  const mount = cgroup2Root();
  const own = cgroupOf(process.pid) ?? '/';
  const parent = path.join(mount, own);
  const name = `cr-shim.${process.pid}.${startTimeOf(process.pid) ?? '0'}${tag === undefined ? '' : `.${tag}`}`;
  const dir = path.join(parent, name);
  try {
    fs.mkdirSync(dir);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      throw new ShimError('guard the tree', `cannot create the cgroup ${dir}: ${(cause as Error).message}`, {
        cause,
        code,
        hint: 'cr-shim must run as root with the cgroup v2 hierarchy writable',
      });
    }
  }
  const guard = await startGuard(dir);
  const procs = path.join(dir, 'cgroup.procs');
  const cgPath = path.posix.join(own, name);
  return {
    dir,
    path: cgPath,
    adopt(list) {
      const left = new Set<string>();
      for (let round = 0; round < ADOPT_ROUNDS; round++) {
        // A zombie cannot be moved, and runs nothing any more.
        const outside = list().flatMap((p) => {
          const cg = cgroupOf(p);
          return cg !== undefined && cg !== cgPath && !cg.startsWith(`${cgPath}/`) && !isZombie(p) ? [{ p, cg }] : [];
        });
        if (outside.length === 0) {
          removeLeft(mount, left);
          return;
        }
        for (const { p, cg } of outside) {
          moveInto(procs, p);
          left.add(cg);
        }
      }
      throw new ShimError('guard the tree', `the tree kept forking outside ${dir} for ${ADOPT_ROUNDS} rounds`, { code: 'EAGAIN' });
    },
    hold: (fds) => guard.hold(fds),
    release: (how = 'release') => guard.release(how),
  };
}

/**
 * Guard a tree that already has a cgroup of its own, made by someone else (a container's, made by
 * its engine, for a tree cr-shim serve got from the CRIU plugin): the same kill if this supervisor
 * dies, but nothing is moved and the cgroup is never removed. `cgPath` is the "0::" path. Throws
 * ShimError when the guard does not start.
 */
export async function guardCgroupInPlace(cgPath: string): Promise<{ release(how?: 'release' | 'kill'): Promise<void> }> {
  const guard = await startGuard(path.join(cgroup2Root(), cgPath), true);
  return { release: (how = 'release') => guard.release(how) };
}

interface Guard {
  hold(listenerFds: readonly number[]): Promise<void>;
  release(how: 'release' | 'kill'): Promise<void>;
}

async function startGuard(dir: string, keep = false): Promise<Guard> {
  const failed = (message: string) => {
    try {
      if (!keep) fs.rmdirSync(dir);
    } catch {
      // Removed by the guard already, or never made.
    }
    return new ShimError('guard the tree', message, { code: 'EPROTO', hint: 'run npm install to build native/' });
  };
  // Its own session: a ^C to cr-shim's process group must not reach it. Protocol: native/guardian.c.
  const [ours, theirs] = fdPair('socketpair');
  let pid: number;
  try {
    pid = spawnProcess(GUARD_PATH, [GUARD_PATH, String(process.pid), dir, ...(keep ? ['keep'] : [])], {
      stdio: ['ignore', 'ignore', 'inherit'],
      extraFds: [theirs],
      group: 'session',
    }).pid;
  } catch (err) {
    fs.closeSync(ours);
    throw failed(`cannot start ${GUARD_PATH}: ${(err as Error).message}`);
  } finally {
    fs.closeSync(theirs);
  }
  const channel = new net.Socket({ fd: ours, readable: true, writable: true });
  const lines = new FrameReader(channel);
  // Reaped when it exits (at release, or when it failed to start); its status says nothing more than its channel.
  void claimChild(pid, { keepAlive: false }).then(() => lines.finish());
  if ((await lines.line()) !== 'ready') throw failed(`cannot start ${GUARD_PATH}`);
  // The guard must not keep cr-shim's event loop alive; it exits on its own at release.
  channel.unref();
  let released = false;
  return {
    hold: async (listenerFds) => {
      for (const fd of listenerFds) {
        // Waiting for the answer keeps the event loop alive meanwhile.
        channel.ref();
        channel.write(`hold ${fd}\n`);
        const answer = await lines.line();
        channel.unref();
        if (answer !== 'held') {
          const errno = /^error (\d+)$/.exec(answer ?? '')?.[1];
          throw new ShimError('guard the tree', `cr-shim-guard could not hold listener fd ${fd}: ${errno === undefined ? 'it ended' : `pidfd_getfd failed with errno ${errno}`}`, { code: 'EPROTO' });
        }
      }
    },
    release: async (how) => {
      if (released) return;
      released = true;
      // The guard's end closes its side of the channel, once the cgroup is removed.
      channel.ref();
      channel.write(`${how}\n`);
      channel.resume();
      while ((await lines.line()) !== null);
      channel.destroy();
    },
  };
}

export interface GuardedTree {
  /** Supervision ended: forget the record; release the guard, or have it kill what is left of the tree. */
  end(how?: 'release' | 'kill'): Promise<void>;
}

/**
 * The one hook of run, restore and attach: guard the tree rooted at `root` (every process
 * `list` returns goes into the cgroup; the guard holds `listenerFds` open) and record its
 * supervision for `cr-shim dump` (`tag`: as for guardTree). Call it
 * before any task of the tree runs unsupervised code. Throws ShimError from guardTree or adopt
 * (the guard is released first; the caller kills the tree).
 */
export async function guardSupervisedTree(...tree: TreeToGuard): Promise<GuardedTree> {
  return superviseInGuard(await timed('guard: cgroup and guard process', () => guardTree(tree[5])), ...tree);
}

/** What guardSupervisedTree and superviseInGuard take about the tree, in order. */
type TreeToGuard = [
  root: number,
  list: () => readonly number[],
  persona: { release: string; mainline: string },
  filter: FilterIdentity,
  listenerFds: readonly number[],
  tag?: string,
];

/**
 * guardSupervisedTree's second half, for a guard started before the tree existed (`run` starts
 * it beside the launcher, restore while criu restores, so that neither waits for the other):
 * hold the listeners, adopt the tree, record it. Throws as guardSupervisedTree, the guard told
 * to kill first.
 */
export async function superviseInGuard(guard: TreeGuard, ...[root, list, persona, filter, listenerFds, tag]: TreeToGuard): Promise<GuardedTree> {
  try {
    await guard.hold(listenerFds);
    timed('guard: tasks into the cgroup', () => guard.adopt(list));
  } catch (err) {
    await guard.release('kill');
    throw err;
  }
  const unrecord = recordSupervised(root, persona, filter, guard.path, tag);
  return {
    end: async (how = 'release') => {
      unrecord();
      await guard.release(how);
    },
  };
}
