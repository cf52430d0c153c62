/** The default mechanism: seccomp user notification (see src/supervisor/). */
import { SECCOMP_RET } from '../bpf/insn.js';
import { supervise } from '../supervisor/supervise.js';
import type { Mechanism } from './types.js';

export const notifyMechanism: Mechanism = {
  id: 'notify',
  note: 'seccomp user notification: a listener fd, hot calls answered in C, the rest by TypeScript handlers',
  notifyReturn: SECCOMP_RET.USER_NOTIF,
  run: ({ argv, session, noNewPrivs, traceFile }) =>
    supervise({
      argv,
      filter: session.filter,
      noNewPrivs,
      worker: { persona: session.persona, routes: session.routes, native: traceFile === undefined, ...(traceFile ? { traceFile } : {}) },
    }),
};
