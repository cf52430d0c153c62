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
import { execFileSync } from 'node:child_process';
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

/**
 * Write the session's code into the vDSO note of each process (gone ones and ones without a vDSO
 * are skipped). With `held` (restore: every task stopped, outside any syscall), also set
 * READ_IMPLIES_EXEC in every thread of the processes a kernel before 5.8 gave it to, when the
 * persona is such a kernel (behaviour row read-implies-exec: CRIU brings a task back without
 * it). Returns one notice line when the helper failed: the processes then read the host's code,
 * which leaks the host's kernel but harms nothing else.
 */
export function writeVdsoNotes(session: Pick<Session, 'plan' | 'persona'>, pids: readonly number[], opts: { held: boolean }): string | undefined {
  const code = vdsoCodeFor(session);
  if (code === undefined || pids.length === 0) return undefined;
  const rie = opts.held && behaviourApplies(READ_IMPLIES_EXEC, { arch: 'x86_64', personaRelease: session.persona.mainline, options: new Set() });
  try {
    execFileSync(VDSO_HELPER_PATH, [`0x${code.toString(16)}`, ...(rie ? ['--read-implies-exec'] : []), ...pids.map(String)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000, killSignal: 'SIGKILL' });
    return undefined;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return `the vDSO note still says the host's kernel: ${stderr || (err as Error).message}`;
  }
}
