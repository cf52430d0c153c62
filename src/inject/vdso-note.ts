/**
 * The vDSO note of processes that are already running when they come under the shim
 * (restore, before the tree resumes; attach, once the filter is in): each gets the persona's
 * LINUX_VERSION_CODE through build/Release/cr-shim-vdso (native/vdso-patch.c). Exec'd images
 * get theirs from the exec watcher (handlers/exec-vdso.ts); both apply where the plan routes
 * exec to it, i.e. when the persona is another kernel.
 *
 * After a CRIU restore the process reads the vDSO its restored auxv names (AT_SYSINFO_EHDR):
 * on the same kernel CRIU maps the host's vDSO there afresh (the dumped note is not kept),
 * across kernels its copy of the old one proxying to the host's; the helper writes that one
 * and the kernel's [vdso] mapping when it is elsewhere.
 */
import { execFile } from 'node:child_process';
import { buildOutput } from '../native/addon.js';
import { handlerOf } from '../plan/arg-rules.js';
import { BEHAVIOURS, behaviourApplies } from '../handlers/behaviours.js';
import { personaVersionCode } from '../persona/version-code.js';
import type { Session } from '../supervisor/session.js';

export const VDSO_HELPER_PATH = buildOutput('cr-shim-vdso');

/** The code to write, or undefined when the session presents the host's own kernel (exec-vdso not routed). */
export function vdsoCodeFor(session: Pick<Session, 'plan' | 'persona'>): number | undefined {
  const routed = session.plan.arches.some((ap) => ap.entries.some((e) => handlerOf(e) === 'exec-vdso'));
  return routed ? personaVersionCode(session.persona) : undefined;
}

const READ_IMPLIES_EXEC = BEHAVIOURS.find((b) => b.id === 'read-implies-exec')!;

/** Would writeVdsoNotes set READ_IMPLIES_EXEC? */
function readImpliesExec(session: Pick<Session, 'persona'>, held: boolean): boolean {
  return held && behaviourApplies(READ_IMPLIES_EXEC, { arch: 'x86_64', personaRelease: session.persona.mainline, options: new Set() });
}

/**
 * Does writeVdsoNotes make the processes run a call (personality, for READ_IMPLIES_EXEC) that
 * their filter may send to the supervisor? Then it must wait until a loop serves their
 * listeners; otherwise it only writes their memory and may run before.
 */
export function vdsoNotesCall(session: Pick<Session, 'plan' | 'persona'>, opts: { held: boolean }): boolean {
  return vdsoCodeFor(session) !== undefined && readImpliesExec(session, opts.held);
}

/**
 * Write the session's code into the vDSO note of each process (gone ones and ones without a vDSO
 * are skipped). With `held` (restore: every task stopped, outside any syscall), also set
 * READ_IMPLIES_EXEC in every thread of the processes a kernel before 5.8 gave it to, when the
 * persona is such a kernel (behaviour row read-implies-exec: CRIU brings a task back without
 * it). Returns one notice line when the helper failed: the processes then read the host's code,
 * which leaks the host's kernel but harms nothing else. Asynchronous: the helper's ptrace work
 * (tens of ms) overlaps what the caller does meanwhile, e.g. the guard's start (handed-tree.ts).
 */
export async function writeVdsoNotes(session: Pick<Session, 'plan' | 'persona'>, pids: readonly number[], opts: { held: boolean }): Promise<string | undefined> {
  const code = vdsoCodeFor(session);
  if (code === undefined || pids.length === 0) return undefined;
  const rie = readImpliesExec(session, opts.held);
  const args = [`0x${code.toString(16)}`, ...(rie ? ['--read-implies-exec'] : []), ...pids.map(String)];
  return new Promise((resolve) => {
    execFile(VDSO_HELPER_PATH, args, { timeout: 20_000, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, _stdout, stderr) => {
      resolve(err === null ? undefined : `the vDSO note still says the host's kernel: ${stderr.trim() || err.message}`);
    });
  });
}
