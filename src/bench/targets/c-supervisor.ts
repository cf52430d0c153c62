/**
 * The baseline for translated calls: native/bench-supervisor.c, the smallest
 * correct seccomp supervisor in C (blocking NOTIF_RECV, NOTIF_ID_VALID,
 * process_vm_writev of a struct utsname, NOTIF_SEND, SYNC_WAKE_UP when the
 * kernel has it, as cr-shim's loop). It runs its own uname loop, timed inside
 * its traced child after 1000 warm-up calls. The "poll" variant waits in
 * poll() before each NOTIF_RECV as cr-shim's loop does: the difference between
 * the two is the price of that one extra syscall per notification.
 */
import { existsSync } from 'node:fs';
import { ShimError } from '../../errors.js';
import { parseCSupervisorOutput } from '../loop-output.js';
import { expectSuccess, runCaptured } from '../spawn.js';
import type { Mechanism } from '../types.js';

function cMechanism(id: string, title: string, note: string, flags: string[]): Mechanism {
  return {
    id,
    title,
    note,
    unavailable: (ctx) => (existsSync(ctx.cSupervisorPath) ? undefined : `${ctx.cSupervisorPath} is not built (npm install)`),
    supports: (s) => s.kind === 'calls' && s.id === 'uname',
    async run(s, ctx) {
      const what = `bench ${id} ${s.id}`;
      if (s.kind !== 'calls') throw new ShimError(what, 'only the uname scenario', { code: 'EINVAL' });
      const r = expectSuccess(what, await runCaptured([ctx.cSupervisorPath, ...flags, String(s.calls)]));
      return { value: parseCSupervisorOutput(r.stdout).nsPerCall };
    },
  };
}

export const cSupervisor = cMechanism(
  'c-supervisor',
  'C supervisor',
  'build/Release/bench-supervisor: a minimal C USER_NOTIF supervisor answering uname, blocking in NOTIF_RECV',
  [],
);

export const cSupervisorPoll = cMechanism(
  'c-supervisor-poll',
  'C supervisor + poll',
  'bench-supervisor --poll: the same, but waiting in poll() on the listener and a stop eventfd before each NOTIF_RECV, as cr-shim\'s loop',
  ['--poll'],
);
