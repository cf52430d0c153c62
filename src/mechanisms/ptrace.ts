/** ptrace with SECCOMP_RET_TRACE: a tracer thread answers through the task's registers (see ptrace/). */
import { compilePlan } from '../bpf/compile.js';
import { encode } from '../bpf/encode.js';
import { SECCOMP_RET } from '../bpf/insn.js';
import { supervisePtrace } from './ptrace/supervise-ptrace.js';
import type { Mechanism } from './types.js';

export const ptraceMechanism: Mechanism = {
  id: 'ptrace',
  note: 'ptrace and SECCOMP_RET_TRACE: a tracer thread stops the task at each routed call, runs the TypeScript handler, and skips or rewrites the call in place',
  notifyReturn: SECCOMP_RET.TRACE,
  run: ({ argv, session, noNewPrivs, traceFile }) =>
    supervisePtrace({
      argv,
      filter: encode(compilePlan(session.plan, { notifyReturn: SECCOMP_RET.TRACE }).insns),
      noNewPrivs,
      tracer: { persona: session.persona, routes: session.routes, ...(traceFile ? { traceFile } : {}) },
    }),
};
