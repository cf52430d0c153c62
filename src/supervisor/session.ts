/**
 * What every command that supervises needs before it starts a task: the host
 * checked, the persona resolved, the plan computed and compiled.
 */
import os from 'node:os';
import { assertHostSupported } from '../host/features.js';
import { probeHost, type HostProbe } from '../host/probe.js';
import fs from 'node:fs';
import { hostPersona, resolvePersona } from '../persona/resolve.js';
import type { Persona } from '../persona/types.js';
import { planFor } from '../plan/for-persona.js';
import { argRoutesOf, handlerOf } from '../plan/arg-rules.js';
import { DEFAULT_VIEW, type PlanView } from '../plan/compute.js';
import type { Plan } from '../plan/types.js';
import { compilePlan } from '../bpf/compile.js';
import { encode } from '../bpf/encode.js';
import type { Program } from '../bpf/insn.js';
import { TableRegistry } from '../tables/registry.js';
import { mainlineOf } from '../tables/release.js';
import type { RouteSpec } from './worker-protocol.js';

export interface Session {
  registry: TableRegistry;
  host: HostProbe;
  persona: Persona;
  plan: Plan;
  program: Program;
  filter: Buffer;
  routes: RouteSpec[];
  /** How the tree is presented beyond the tables: identity by bind mount (run) or by the supervisor; io_uring. */
  view: PlanView;
  /** Things to tell the user before the program starts (nearest-release choice). */
  notices: string[];
}

export interface SessionOptions {
  checkHost?: boolean;
  /** Default: opens trapped and answered by the supervisor (restore, attach), io_uring refused. */
  view?: PlanView;
  /** Behaviour rows turned on that are off by default (known holes, e.g. "tiocsti"). */
  behaviourOptions?: ReadonlySet<string>;
  /** Explain every instruction in program.comments, for a command that prints them (`cr-shim filter`); default false. */
  explain?: boolean;
}

/** Build a session for a requested kernel; with none, the host's own release (no translation but the filter's checks). */
export function prepareSession(kernel: string | undefined, opts: SessionOptions = {}): Session {
  if (opts.checkHost !== false) assertHostSupported();
  const registry = new TableRegistry();
  const host = probeHost({ registry });
  const persona = kernel === undefined ? hostPersona(registry, () => fs.readFileSync('/proc/version', 'utf8')) : resolvePersona(kernel, registry);
  const notices: string[] = [];
  if (kernel !== undefined && mainlineOf(kernel) !== persona.mainline) {
    notices.push(`kernel ${kernel}: no table for ${mainlineOf(kernel)}, using the nearest lower release ${persona.mainline}`);
  } else if (kernel !== undefined && kernel !== persona.mainline) {
    notices.push(`kernel ${kernel}: using the syscall tables of ${persona.mainline}`);
  }
  const view = opts.view ?? DEFAULT_VIEW;
  const plan = planFor(persona, registry, host, { view, ...(opts.behaviourOptions ? { behaviourOptions: opts.behaviourOptions } : {}) });
  const program = compilePlan(plan, { comments: opts.explain === true });
  const routes: RouteSpec[] = [];
  for (const ap of plan.arches) {
    for (const e of ap.entries) {
      const handler = handlerOf(e);
      if (handler === undefined) continue;
      const sig = registry.byNumber(ap.arch, persona.mainline, e.nr)?.args ?? [];
      const byArgs = argRoutesOf(e);
      routes.push({ arch: ap.arch, nr: e.nr, name: e.name, handler, args: sig, ...(byArgs ? { byArgs } : {}) });
    }
  }
  return { registry, host, persona, plan, program, filter: encode(program.insns), routes, view, notices };
}
