/**
 * The supervisor thread. It blocks in the native loop's recv (poll + NOTIF_RECV),
 * which answers the hot calls in C and returns only those that need a
 * TypeScript handler; it never waits on the event loop, which measured 1.4 to 5
 * times slower. Ends when every filtered task of every listener is gone
 * (POLLHUP) or on stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadNotifyAddon } from '../native/addon.js';
import type { NotifyAddon, NotifyHandle } from '../native/addon-types.js';
import { makeHandlers } from '../handlers/registry.js';
import { lazySysctlLookup } from '../handlers/sysctl-table.js';
import { AnswerPath } from './answer.js';
import { Dispatcher } from './dispatch.js';
import { RouteTable } from './routes.js';
import { TraceWriter } from './trace.js';
import type { WorkerCommand, WorkerInput, WorkerMessage } from './worker-protocol.js';

function post(m: WorkerMessage): void {
  parentPort!.postMessage(m);
}

function main(input: WorkerInput, command: WorkerCommand): void {
  // Opened before the listener: a trace file that cannot be written fails the start (the caller
  // kills the program), never a loop that has taken the listener and then dies, leaving every
  // trapped call of the program blocked.
  const trace = input.traceFile === undefined ? undefined : new TraceWriter(input.traceFile);
  const addon = loadNotifyAddon();
  const h = command.type === 'loop' ? command.handle : openLoop(addon, command.fds);
  const ctx = { persona: input.persona };
  let routes: RouteTable;
  try {
    // A loop handed over has its verdicts already (native-first.ts): asking again would open openIdentity's memfds twice.
    const push = input.native && command.type === 'listeners';
    routes = new RouteTable(input.routes, makeHandlers(lazySysctlLookup()), ctx, { verdicts: push });
    if (push) for (const [audit, actions] of routes.nativeActions()) addon.setActions(h, audit, actions);
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
parentPort!.once('message', (m: WorkerCommand) => main(workerData as WorkerInput, m));
