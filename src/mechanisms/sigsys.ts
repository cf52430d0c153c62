/** SECCOMP_RET_TRAP and a SIGSYS handler preloaded into the program (see sigsys/ and native/sigsys-preload.c). */
import { SECCOMP_RET } from '../bpf/insn.js';
import { UsageError } from '../errors.js';
import type { Mechanism } from './types.js';

export const sigsysMechanism: Mechanism = {
  id: 'sigsys',
  note: 'SECCOMP_RET_TRAP and an LD_PRELOAD SIGSYS handler answering inside the program from verdicts computed at start; dynamically linked programs that do not exec; calls needing a TypeScript handler get ENOSYS',
  notifyReturn: SECCOMP_RET.TRAP,
  async run({ argv, session, traceFile, notice }) {
    // Loaded when chosen: the registry lists every mechanism, `run` uses one.
    const [{ sigsysConfig }, { linkage, resolveProgram }, { superviseSigsys }] = await Promise.all([
      import('./sigsys/config.js'), import('./sigsys/elf-interp.js'), import('./sigsys/supervise-sigsys.js'),
    ]);
    const file = resolveProgram(argv[0]!);
    if (file !== undefined && linkage(file) === 'static') {
      throw new UsageError('--mechanism sigsys', `${argv[0]} is statically linked, so LD_PRELOAD cannot put the SIGSYS handler into it`, {
        code: 'EUSAGE', hint: 'use --mechanism notify or ptrace',
      });
    }
    if (traceFile !== undefined) throw new UsageError('--mechanism sigsys', '--trace needs a supervisor outside the program', { code: 'EUSAGE', hint: 'use --mechanism notify or ptrace with --trace' });
    const config = sigsysConfig(session);
    if (config.unserved.length > 0) {
      notice?.(`sigsys: ${config.unserved.join(', ')} answered ENOSYS (their handlers run in TypeScript, outside the program); use --mechanism notify or ptrace for them`);
    }
    return superviseSigsys(argv, config.text);
  },
};
