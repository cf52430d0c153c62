/**
 * execve and execveat: every new program image gets a fresh vDSO from the kernel, whose "Linux"
 * note says the host's LINUX_VERSION_CODE (glibc before 2.35 reads it in ld.so, eBPF loaders
 * put it in kern_version). The native loop (NativeKind.execVdso) has cr-shim-exec-watch
 * (native/exec-watch.c) seize the task before the exec goes on and write the persona's code
 * into the new image's vDSO in PTRACE_EVENT_EXEC, before the program's first instruction.
 * Elsewhere (the ptrace mechanism, the TypeScript path) the exec runs unpatched.
 *
 * The same stop serves the behaviour row read-implies-exec (personas before 5.8): the watcher
 * sets READ_IMPLIES_EXEC in an image those kernels gave it to, which this kernel clears at exec.
 */
import { buildOutput } from '../native/addon.js';
import { NativeKind } from '../native/addon-types.js';
import { personaVersionCode } from '../persona/version-code.js';
import { BEHAVIOURS, behaviourApplies } from './behaviours.js';
import type { Handler } from './types.js';

const READ_IMPLIES_EXEC = BEHAVIOURS.find((b) => b.id === 'read-implies-exec')!;

/** build/Release/cr-shim-exec-watch. */
export const EXEC_WATCH_PATH = buildOutput('cr-shim-exec-watch');

export const execVdso: Handler = {
  id: 'exec-vdso',
  handle() {
    return { kind: 'continue' };
  },
  native(arch, _nr, _name, ctx) {
    const code = personaVersionCode(ctx.persona);
    if (code === undefined) return { kind: NativeKind.continue };
    const readImpliesExec = behaviourApplies(READ_IMPLIES_EXEC, { arch, personaRelease: ctx.persona.mainline, options: new Set() });
    return { kind: NativeKind.execVdso, val: code, helper: EXEC_WATCH_PATH, readImpliesExec };
  },
};
