/**
 * The supervisor thread. It blocks in the native loop's recv (poll + NOTIF_RECV),
 * which answers the hot calls in C and returns only those that need a
 * TypeScript handler; it never waits on the event loop, which measured 1.4 to 5
 * times slower. Ends when every filtered task of every listener is gone
 * (POLLHUP) or on stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadNotifyAddon } from '../native/addon.js';
import type { NativeAction, NotifyAddon, NotifyHandle } from '../native/addon-types.js';
import { makeHandlers } from '../handlers/registry.js';
import { lazySysctlLookup } from '../handlers/sysctl-table.js';
import { AnswerPath } from './answer.js';
import { Dispatcher } from './dispatch.js';
import { RouteTable } from './routes.js';
import { TraceWriter } from './trace.js';
import type { WorkerCommand, WorkerInput, WorkerMessage } from './worker-protocol.js';
import { recordPhase, nameTraceProcess, timed, wallMs } from '../phase-trace.js';

function post(m: WorkerMessage): void {
  parentPort!.postMessage(m);
}

/** The routes and the native verdicts, built before the listeners come (input.planAhead), or why they could not be. */
type Plan = { routes: RouteTable; actions: Map<number, NativeAction[]> } | { error: unknown };

function plan(input: WorkerInput, ctx: { persona: WorkerInput['persona'] }, verdicts: boolean): Plan {
  try {
    const routes = new RouteTable(input.routes, makeHandlers(lazySysctlLookup()), ctx, { verdicts });
    return { routes, actions: verdicts ? routes.nativeActions() : new Map() };
  } catch (error) {
    return { error };
  }
}

function main(input: WorkerInput, command: WorkerCommand, ahead: Plan | undefined): void {
  recordPhase('worker: command received', wallMs());
  // Opened before the listener: a trace file that cannot be written fails the start (the caller
  // kills the program), never a loop that has taken the listener and then dies, leaving every
  // trapped call of the program blocked.
  const trace = input.traceFile === undefined ? undefined : new TraceWriter(input.traceFile);
  const addon = loadNotifyAddon();
  const h = command.type === 'loop' ? command.handle : timed('worker: open loop', () => openLoop(addon, command.fds));
  const ctx = ahead === undefined ? { persona: input.persona } : AHEAD_CTX;
  let routes: RouteTable;
  try {
    // A loop handed over has its verdicts already (native-first.ts): asking again would open openIdentity's memfds twice.
    const push = input.native && command.type === 'listeners';
    const p = ahead ?? timed('worker: routes', () => plan(input, ctx, push));
    if ('error' in p) throw p.error;
    routes = p.routes;
    if (push) timed('worker: native actions', () => { for (const [audit, actions] of p.actions) addon.setActions(h, audit, actions); });
  } catch (err) {
    // A loop that cannot start must not hold the listeners: closed, every trapped call fails with ENOSYS.
    addon.close(h);
    trace?.close();
    throw err;
  }
  post({ type: 'ready', handle: h });

  // The C loop carried the verdicts out: what reaches TypeScript is for the handler.
  const path = new AnswerPath(routes, ctx, trace);
  const dispatcher = new Dispatcher(addon, path);
  let error: string | undefined;
  try {
    for (let n = addon.recv(h); n !== null; n = addon.recv(h)) dispatcher.dispatch(n);
  } catch (e) {
    error = (e as Error).message;
  } finally {
    trace?.close();
    const native = addon.stats(h);
    // Closing the listener makes every trapped call fail with ENOSYS at once: nothing waits on a dead loop.
    addon.close(h);
    post({ type: 'done', stats: path.callStats(), native, ...(error === undefined ? {} : { error }) });
  }
}

function openLoop(addon: NotifyAddon, fds: number[]): NotifyHandle {
  const [first, ...more] = fds;
  if (first === undefined) throw new Error('no listener given');
  const h = addon.open(first);
  for (const fd of more) addon.addListener(h, fd);
  return h;
}

// Modules are loaded by now; the listeners may still be on their way (restore: CRIU still restoring).
nameTraceProcess('worker');
const input = workerData as WorkerInput;
// The handlers keep the context they were planned with: the same object serves the loop.
const AHEAD_CTX = { persona: input.persona };
const ahead = input.planAhead === true && input.native ? timed('worker: routes (ahead)', () => plan(input, AHEAD_CTX, true)) : undefined;
parentPort!.once('message', (m: WorkerCommand) => main(input, m, m.type === 'listeners' ? ahead : undefined));
