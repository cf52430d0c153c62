/** ptrace with SECCOMP_RET_TRACE: a tracer thread answers through the task's registers (see ptrace/). */
import { compilePlan } from '../bpf/compile.js';
import { encode } from '../bpf/encode.js';
import { SECCOMP_RET } from '../bpf/insn.js';
import type { Mechanism } from './types.js';

export const ptraceMechanism: Mechanism = {
  id: 'ptrace',
  note: 'ptrace and SECCOMP_RET_TRACE: a tracer thread stops the task at each routed call, runs the TypeScript handler, and skips or rewrites the call in place',
  notifyReturn: SECCOMP_RET.TRACE,
  // Loaded when chosen: the registry lists every mechanism, `run` uses one.
  run: async ({ argv, session, noNewPrivs, traceFile }) =>
    (await import('./ptrace/supervise-ptrace.js')).supervisePtrace({
      argv,
      filter: encode(compilePlan(session.plan, { notifyReturn: SECCOMP_RET.TRACE, comments: false }).insns),
      noNewPrivs,
      tracer: { persona: session.persona, routes: session.routes, ...(traceFile ? { traceFile } : {}) },
    }),
};
