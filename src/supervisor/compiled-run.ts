/**
 * What `run` under the notify delivery starts from, once the session is
 * prepared: the filter, the identity overlay, the worker's input and the
 * verdicts the native loop answers with. It is a pure function of the tables,
 * the code, the host kernel and the options, so a run can take it from the
 * session cache (run-cache.ts) instead of loading tables, schema validators,
 * planner and BPF compiler: most of `cr-shim run`'s start-up before it.
 *
 * This module loads the handlers and the tables; the cache-hit path never imports it.
 */
import { filterSha256 } from '../criu/supervised-record.js';
import { identityFiles } from '../handlers/proc-identity.js';
import { makeHandlers } from '../handlers/registry.js';
import { lazySysctlLookup } from '../handlers/sysctl-table.js';
import { PROC_SYS, removedSysctlFiles } from '../handlers/sysctl-removed.js';
import { loadSysctlRemovedFile } from '../tables/load.js';
import type { CompiledRun } from './compiled-run-types.js';
import { RouteTable } from './routes.js';
import type { Session } from './session.js';

/** The removed sysctl files the persona had, by absolute path (launcher's --add). */
function addedSysctlFiles(release: string): [string, string][] {
  return [...removedSysctlFiles(release, loadSysctlRemovedFile().files)].map(([p, text]) => [`${PROC_SYS}/${p}`, text]);
}

/**
 * `native`: answer hot calls in C (off with --trace, where every call goes through TypeScript).
 * Throws when the plan names a handler the registry lacks.
 */
export function compileRun(session: Session, opts: { native: boolean }): CompiledRun {
  // The host's own persona needs no overlay: its files already read what they should.
  const overlay = session.view.identityMounted && session.persona.release !== session.host.release;
  const worker = { persona: session.persona, routes: session.routes };
  const nativeActions = opts.native
    ? [...new RouteTable(session.routes, makeHandlers(lazySysctlLookup()), { persona: session.persona, identityMounted: session.view.identityMounted }, { verdicts: true }).nativeActions()]
    : [];
  return {
    filter: session.filter,
    filterSha256: filterSha256(session.filter),
    notices: session.notices,
    ...(overlay ? { identity: [...identityFiles(session.persona)], added: addedSysctlFiles(session.persona.mainline) } : {}),
    worker,
    nativeActions,
  };
}
