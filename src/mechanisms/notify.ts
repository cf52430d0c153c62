/** The default mechanism: seccomp user notification (see src/supervisor/). */
import { SECCOMP_RET } from '../bpf/insn.js';
import { supervise } from '../supervisor/supervise.js';
import type { Mechanism } from './types.js';
import { identityFiles } from '../handlers/proc-identity.js';
import { PROC_SYS, removedSysctlFiles } from '../handlers/sysctl-removed.js';
import { loadSysctlRemovedFile } from '../tables/load.js';

/** The removed sysctl files the persona had, by absolute path (launcher's --add). */
function addedSysctlFiles(release: string): Map<string, string> {
  return new Map([...removedSysctlFiles(release, loadSysctlRemovedFile().files)].map(([p, text]) => [`${PROC_SYS}/${p}`, text]));
}

export const notifyMechanism: Mechanism = {
  id: 'notify',
  note: 'seccomp user notification: a listener fd, hot calls answered in C, the rest by TypeScript handlers',
  notifyReturn: SECCOMP_RET.USER_NOTIF,
  run: ({ argv, session, noNewPrivs, traceFile }) =>
    supervise({
      argv,
      filter: session.filter,
      noNewPrivs,
      // The host's own persona needs no overlay: its files already read what they should.
      ...(session.view.identityMounted && session.persona.release !== session.host.release
        ? { identity: identityFiles(session.persona), added: addedSysctlFiles(session.persona.mainline) }
        : {}),
      worker: { persona: session.persona, routes: session.routes, native: traceFile === undefined, ...(traceFile ? { traceFile } : {}) },
    }),
};
