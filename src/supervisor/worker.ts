/**
 * The supervisor thread. It blocks in the native loop's recv (poll + NOTIF_RECV),
 * which answers the hot calls in C and returns only those that need a
 * TypeScript handler; it never waits on the event loop, which measured 1.4 to 5
 * times slower. Ends when every filtered task of every listener is gone
 * (POLLHUP) or on stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AUDIT_ARCH, archFromAudit } from '../arch.js';
import { loadNotifyAddon } from '../native/addon.js';
import type { NativeAction } from '../native/addon-types.js';
import { makeHandlers } from '../handlers/registry.js';
import { lazySysctlLookup } from '../handlers/sysctl-table.js';
import { Dispatcher, type Route } from './dispatch.js';
import { TraceWriter, decodeArgs } from './trace.js';
import { TraceeMemory } from '../native/tracee-memory.js';
import type { CallStat, WorkerCommand, WorkerInput, WorkerMessage } from './worker-protocol.js';

function post(m: WorkerMessage): void {
  parentPort!.postMessage(m);
}

function main(input: WorkerInput, fds: number[]): void {
  // Opened before the listener: a trace file that cannot be written fails the start (the caller
  // kills the program), never a loop that has taken the listener and then dies, leaving every
  // trapped call of the program blocked.
  const trace = input.traceFile === undefined ? undefined : new TraceWriter(input.traceFile);
  const addon = loadNotifyAddon();
  const [first, ...more] = fds;
  if (first === undefined) throw new Error('no listener given');
  const h = addon.open(first);
  for (const fd of more) addon.addListener(h, fd);
  const handlers = makeHandlers(lazySysctlLookup());
  const ctx = { persona: input.persona };
  const routes = new Map<string, Route & { args: string[] }>();
  try {
    const nativeByArch = new Map<number, NativeAction[]>();
    for (const r of input.routes) {
      const handler = handlers.get(r.handler);
      if (handler === undefined) throw new Error(`plan names handler ${r.handler}, which the registry lacks`);
      routes.set(Dispatcher.key(r.arch, r.nr), { name: r.name, handler, args: r.args });
      const native = input.native ? handler.native?.(r.arch, r.nr, r.name, ctx) : undefined;
      if (native !== undefined) {
        const list = nativeByArch.get(AUDIT_ARCH[r.arch]) ?? [];
        list.push({ ...native, nr: r.nr });
        nativeByArch.set(AUDIT_ARCH[r.arch], list);
      }
    }
    for (const [audit, actions] of nativeByArch) addon.setActions(h, audit, actions);
  } catch (err) {
    // A loop that cannot start must not hold the listeners: closed, every trapped call fails with ENOSYS.
    addon.close(h);
    trace?.close();
    throw err;
  }
  post({ type: 'ready', handle: h });

  const dispatcher = new Dispatcher(addon, routes, ctx);
  const stats = new Map<string, CallStat>();
  let error: string | undefined;
  try {
    for (let n = addon.recv(h); n !== null; n = addon.recv(h)) {
      // Decode before answering: once answered, the task may reuse or unmap its buffers.
      const arch = archFromAudit(n.arch);
      const r = arch === undefined ? undefined : routes.get(Dispatcher.key(arch, n.nr));
      const args = trace && r && arch ? decodeArgs(r.args, n.args, new TraceeMemory(n.pid), arch) : undefined;
      const out = dispatcher.dispatch(n);
      const key = `${out.arch}:${out.name}`;
      const s = stats.get(key) ?? { arch: out.arch, name: out.name, count: 0, totalNs: 0, path: 'js' as const };
      s.count++;
      s.totalNs += Number(process.hrtime.bigint() - n.receivedNs);
      stats.set(key, s);
      if (trace) trace.write({ pid: n.pid, arch: out.arch, syscall: out.name, args: args ?? {}, result: out.result });
    }
  } catch (e) {
    error = (e as Error).message;
  } finally {
    trace?.close();
    const native = addon.stats(h);
    // Closing the listener makes every trapped call fail with ENOSYS at once: nothing waits on a dead loop.
    addon.close(h);
    post({ type: 'done', stats: [...stats.values()], native, ...(error === undefined ? {} : { error }) });
  }
}

// Modules are loaded by now; the listeners may still be on their way (restore: CRIU still restoring).
parentPort!.once('message', (m: WorkerCommand) => main(workerData as WorkerInput, m.fds));
