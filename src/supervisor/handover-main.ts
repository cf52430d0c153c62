/**
 * The native front's TypeScript helper (docs/FRONT.md, "When a call needs TypeScript"):
 *
 *   node dist/supervisor/handover-main.js FRONT_PID
 *
 * The front (front/run.c) serves `run` from the session cache with the native loop until a
 * trapped call needs a TypeScript handler; then it starts this program with fd 3 one end of a
 * stream socketpair and fd 4 a copy of the listener, and sends on fd 3
 *
 *   WORKER ACTIONS* HELD END              (handover-records.ts)
 *
 * Here the loop is opened on fd 4, the tables published, the held call put back at the head
 * of the loop, and the supervisor worker started on it exactly as `run` does in one process
 * (native-first.ts). When every task is gone one JSON line goes back on fd 3:
 *
 *   {"stats":[CallStat...],"native":[NativeStat...],"maxRssKiB":N}    exit 0
 *   {"error":"MESSAGE"}                                               exit 1
 *
 * Start-up is on the program's path (a trapped call waits for it), so this imports only the
 * addon, the record reader and the worker's starter: no tables, no planner, no koffi.
 */
import fs from 'node:fs';
import { ShimError } from '../errors.js';
import { loadNotifyAddon } from '../native/addon.js';
import type { NotifyAddon, NotifyHandle } from '../native/addon-types.js';
import { errnoName } from '../native/errno.js';
import { nameTraceProcess, recordPhase, wallMs } from '../phase-trace.js';
import { FrontTag, RecordReader, type FrontRecord } from './front-records.js';
import { parseHandover } from './handover-records.js';
import { FORWARDED_SIGNALS } from './signal-forwarder.js';
import { prestartWorker } from './worker-thread.js';

const CHANNEL_FD = 3;
const LISTENER_FD = 4;
const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;

/**
 * Die with the front: PR_SET_PDEATHSIG first, then the parent check, since a front that died
 * before the prctl has already handed us to a reaper and no signal will come. Throws when the
 * parent is not (or no longer) the pid the front passed.
 */
function tieToFront(addon: NotifyAddon, frontArg: string | undefined): void {
  const front = Number(frontArg);
  if (!Number.isSafeInteger(front) || front <= 0) throw new ShimError('handover', `expected the front's pid as the only argument, got ${JSON.stringify(frontArg)}`, { code: 'EUSAGE' });
  const rc = addon.prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (rc !== 0) throw new ShimError('prctl(PR_SET_PDEATHSIG)', `errno ${errnoName(-rc)}`, { code: errnoName(-rc) });
  if (process.ppid !== front) throw new ShimError('handover', `the front (pid ${front}) is gone: the parent is pid ${process.ppid}`, { code: 'ESRCH' });
}

/** The records up to END, read from the blocking socket on fd 3. Throws ShimError (EPROTO) when it ends first or holds bytes after END. */
function readRecords(fd: number): FrontRecord[] {
  const reader = new RecordReader();
  const records: FrontRecord[] = [];
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = fs.readSync(fd, chunk);
    if (n === 0) throw new ShimError('read the hand-over', `fd ${fd} ended before END (${records.length} records, ${reader.buffered} bytes of another)`, { code: 'EPROTO' });
    for (const r of reader.push(chunk.subarray(0, n))) {
      if (r.tag !== FrontTag.end) {
        records.push(r);
        continue;
      }
      // The front sends nothing after END until our line is back: more bytes mean a broken stream.
      if (r.body.length !== 0 || reader.buffered !== 0) throw new ShimError('read the hand-over', r.body.length !== 0 ? 'END with a body' : 'bytes after END', { code: 'EPROTO' });
      return records;
    }
  }
}

/** Write all of `line` to the front (a blocking stream socket may take it in parts). */
function sendLine(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  for (let at = 0; at < bytes.length; ) at += fs.writeSync(CHANNEL_FD, bytes, at);
}

async function main(addon: NotifyAddon, onLoop: (h: NotifyHandle) => void): Promise<string> {
  // The front forwards these to the tree (a terminal's Ctrl-C may reach its whole process group):
  // the helper ends with the tree, or with the front. Dying here would kill the tree instead.
  for (const s of FORWARDED_SIGNALS) process.on(s, () => undefined);
  // The held call waits from exec to adopt: the phases show where ($CR_SHIM_PHASES).
  nameTraceProcess('handover');
  recordPhase('handover: node start', performance.timeOrigin);
  let t = wallMs();
  tieToFront(addon, process.argv[2]);
  const handover = parseHandover(readRecords(CHANNEL_FD));
  recordPhase('handover: records', t);
  t = wallMs();
  // Its modules load while the loop is set up here.
  const pending = prestartWorker({ ...handover.worker, native: true });
  const h = addon.open(LISTENER_FD);
  onLoop(h);
  for (const table of handover.tables) addon.setEncodedActions(h, table);
  addon.holdNotification(h, handover.notification, handover.receivedNs);
  const worker = await pending.adopt(h);
  recordPhase('handover: worker adopted the loop', t);
  const done = await worker.done;
  // The worker closed the loop; a fault there may have left tasks running unsupervised: the front kills the tree.
  if (done.error !== undefined) throw new ShimError('notification loop', done.error);
  return JSON.stringify({ stats: done.stats, native: done.native, maxRssKiB: process.resourceUsage().maxRSS });
}

let loop: NotifyHandle | undefined;
let addon: NotifyAddon | undefined;
try {
  addon = loadNotifyAddon();
  sendLine(await main(addon, (h) => (loop = h)));
  process.exit(0);
} catch (err) {
  // Exit joins the worker thread: one blocked in the loop's recv must be woken first.
  if (loop !== undefined) {
    try {
      addon?.stop(loop);
    } catch {
      // EBADF: the worker closed the loop already.
    }
  }
  // The operation too: the front prints MESSAGE after "the supervisor thread failed: ".
  const message = err instanceof ShimError ? `${err.op}: ${err.message}` : err instanceof Error ? err.message : String(err);
  try {
    sendLine(JSON.stringify({ error: message }));
  } catch {
    // The front is gone (EPIPE): nobody to tell, and PR_SET_PDEATHSIG ends us anyway.
  }
  process.exit(1);
}
