/** The default mechanism: seccomp user notification (see src/supervisor/). */
import { SECCOMP_RET } from '../bpf/insn.js';
import { compileRun } from '../supervisor/compiled-run.js';
import { superviseCompiled } from '../supervisor/supervise.js';
import type { Mechanism } from './types.js';

export const notifyMechanism: Mechanism = {
  id: 'notify',
  note: 'seccomp user notification: a listener fd, hot calls answered in C, the rest by TypeScript handlers',
  notifyReturn: SECCOMP_RET.USER_NOTIF,
  run: ({ argv, session, noNewPrivs, traceFile }) =>
    superviseCompiled(compileRun(session, { native: traceFile === undefined }), { argv, noNewPrivs, ...(traceFile ? { traceFile } : {}) }),
};
