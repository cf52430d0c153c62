/**
 * The baseline for translated calls: native/bench-supervisor.c, the smallest
 * correct seccomp supervisor in C (blocking NOTIF_RECV, NOTIF_ID_VALID,
 * process_vm_writev of a struct utsname, NOTIF_SEND, SYNC_WAKE_UP when the
 * kernel has it, as cr-shim's loop). It runs its own uname loop in one thread,
 * timed inside its traced child after 1000 warm-up calls. The "poll" variant
 * waits in poll() before each NOTIF_RECV as cr-shim's loop does: the
 * difference between the two is the price of that one extra syscall per
 * notification.
 */
import { existsSync } from 'node:fs';
import { parseCSupervisorOutput } from '../loop-output.js';
import { expectSuccess, runCaptured } from '../spawn.js';
import type { Target } from '../types.js';
import { callsRun } from '../workload.js';

function cTarget(id: string, title: string, note: string, flags: string[]): Target {
  return {
    id,
    title,
    note,
    matrix: false,
    unavailable: (ctx) => (existsSync(ctx.cSupervisorPath) ? undefined : `${ctx.cSupervisorPath} is not built (npm install)`),
    supports: (s, threads) => s.kind === 'calls' && s.id === 'fake' && threads === 1,
    async run(r, ctx) {
      const what = `bench ${id} ${r.scenario.id}`;
      const c = callsRun(what, r);
      const out = expectSuccess(what, await runCaptured([ctx.cSupervisorPath, ...flags, String(c.calls)], ctx.env));
      const ns = parseCSupervisorOutput(out.stdout).nsPerCall;
      return { value: ns, threadNs: ns };
    },
  };
}

export const cSupervisor = cTarget(
  'c-supervisor',
  'C supervisor',
  'build/Release/bench-supervisor: a minimal C USER_NOTIF supervisor answering uname, blocking in NOTIF_RECV (fake result, one thread)',
  [],
);

export const cSupervisorPoll = cTarget(
  'c-supervisor-poll',
  'C supervisor + poll',
  'bench-supervisor --poll: the same, but waiting in poll() on the listener and a stop eventfd before each NOTIF_RECV, as cr-shim\'s loop',
  ['--poll'],
);
