/**
 * The ptrace tracer thread. It seizes the program, then blocks in waitpid for
 * its tracees' stops and answers each PTRACE_EVENT_SECCOMP stop (a call the
 * filter returned SECCOMP_RET_TRACE for) with the same TypeScript handlers the
 * notification loop uses. Every ptrace request is made from this one thread,
 * as ptrace requires.
 *
 * Why TypeScript through koffi and not a C loop: a trapped call costs two
 * context switches through the tracer whatever runs there (several µs on this
 * VM); the koffi calls add about 0.2 µs each, four to five per call, and the
 * handlers stay the single implementation (no C copies of uname or /proc).
 * Calls the filter decides (allow, errno) never reach the tracer.
 *
 * Kernel facts used (ptrace(2), seccomp(2), kernel/seccomp.c):
 * - At a seccomp stop, setting orig_rax to -1 skips the call and the task sees
 *   whatever the tracer left in rax (checked on this kernel by the tests).
 * - Changing the call's registers makes the kernel run the filter again; a
 *   second TRACE verdict then means allow, so a rewritten call is not stopped twice.
 * - Restarted with PTRACE_SYSCALL from a seccomp stop, the task stops next at syscall exit.
 * - A tracee in a ptrace stop cannot be reaped by anyone before the tracer has
 *   waited for it, so its pid cannot be reused while a handler reads its memory.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { archFromAudit, type Arch } from '../../arch.js';
import { makeHandlers } from '../../handlers/registry.js';
import { loadSysctlLookup } from '../../handlers/sysctl-table.js';
import type { Reply } from '../../handlers/types.js';
import { E } from '../../native/errno.js';
import { sys } from '../../native/libc.js';
import { AnswerPath, type InFlight, type Result } from '../../supervisor/answer.js';
import { RouteTable } from '../../supervisor/routes.js';
import { TraceWriter } from '../../supervisor/trace.js';
import { TraceeMemory } from '../../native/tracee-memory.js';
import { PTRACE, PTRACE_EVENT, PTRACE_O, PTRACE_SYSCALL_INFO_SECCOMP, WAIT_TRACEES, ptraceSys } from './ptrace-sys.js';
import { ORIG_RAX, RAX, argOffset, redZone } from './registers.js';
import { PATH_ARG, scratchAddress, supervisorFdPath } from './rewrite.js';
import type { TracerInput, TracerMessage } from './tracer-protocol.js';
import { applyVerdict } from '../native-verdict.js';

const OPTIONS =
  PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACEFORK | PTRACE_O.TRACEVFORK | PTRACE_O.TRACECLONE |
  PTRACE_O.TRACEEXEC | PTRACE_O.TRACESECCOMP | PTRACE_O.EXITKILL;

const SIGTRAP = 5;
/** Stops that are group-stops when reported as PTRACE_EVENT_STOP: the task must stay stopped (PTRACE_LISTEN). */
const STOP_SIGNALS = new Set([19 /* SIGSTOP */, 20 /* SIGTSTP */, 21 /* SIGTTIN */, 22 /* SIGTTOU */]);
const ECHILD = 10;
const EINTR = 4;

/** struct ptrace_syscall_info (<linux/ptrace.h>) for op SECCOMP: op u8, pad[3], arch u32, ip u64, sp u64, nr u64, args[6] u64, ret_data u32. */
const INFO_SIZE = 88;

interface SeccompStop {
  arch: Arch | undefined;
  nr: number;
  sp: bigint;
  args: bigint[];
}

/** A rewritten call waiting for its syscall-exit stop. */
interface Pending {
  reg: number;
  orig: bigint;
  fd: number;
  call: InFlight;
}

function post(m: TracerMessage): void {
  parentPort!.postMessage(m);
}

class Tracer {
  private readonly info = Buffer.alloc(INFO_SIZE);
  private readonly word = Buffer.alloc(8);
  private readonly pending = new Map<number, Pending>();
  private readonly trace: TraceWriter | undefined;
  private readonly path: AnswerPath;

  constructor(input: TracerInput) {
    const ctx = { persona: input.persona };
    // Off with --trace, as for the native loop: every call then goes through its handler.
    const routes = new RouteTable(input.routes, makeHandlers(loadSysctlLookup()), ctx, { verdicts: input.traceFile === undefined });
    this.trace = input.traceFile === undefined ? undefined : new TraceWriter(input.traceFile);
    // The native loop's verdicts first, as notify-loop.c answers hot calls; the handler when it defers.
    this.path = new AnswerPath(routes, ctx, this.trace, applyVerdict);
  }

  /** PTRACE_SEIZE with every option; undefined or the errno name. */
  seize(pid: number): string | undefined {
    if (ptraceSys.request(PTRACE.SEIZE, pid, 0, OPTIONS) === 0) return undefined;
    const errno = ptraceSys.errno();
    return Object.entries(E).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
  }

  /** Wait for and answer stops until no tracee is left. */
  loop(): void {
    const status = [0];
    for (;;) {
      const pid = ptraceSys.waitpid(-1, status, WAIT_TRACEES);
      if (pid < 0) {
        const errno = ptraceSys.errno();
        if (errno === EINTR) continue;
        if (errno === ECHILD) return;
        throw new Error(`waitpid: errno ${errno}`);
      }
      this.onStatus(pid, status[0]!);
    }
  }

  private onStatus(pid: number, s: number): void {
    const stopped = (s & 0xff) === 0x7f;
    if (!stopped) {
      // Exited or killed: a rewrite in flight dies with it.
      const p = this.pending.get(pid);
      if (p) Tracer.closeFd(p.fd);
      this.pending.delete(pid);
      return;
    }
    const sig = (s >> 8) & 0xff;
    const event = s >>> 16;
    if (event === PTRACE_EVENT.SECCOMP) return this.onSeccomp(pid);
    if (event === PTRACE_EVENT.STOP) {
      // Under SEIZE a group-stop is reported as an event stop with the stop signal; keep it stopped until SIGCONT.
      this.resume(STOP_SIGNALS.has(sig) ? PTRACE.LISTEN : PTRACE.CONT, pid, 0);
      return;
    }
    if (event !== 0) return this.resume(PTRACE.CONT, pid, 0);
    if (sig === (SIGTRAP | 0x80)) return this.onSyscallExit(pid);
    // A signal-delivery stop: deliver the signal.
    this.resume(PTRACE.CONT, pid, sig);
  }

  /** ESRCH (the task was killed meanwhile) is an event: its exit comes through waitpid. */
  private resume(req: number, pid: number, sig: number): void {
    ptraceSys.request(req, pid, 0, sig);
  }

  private readStop(pid: number): SeccompStop | undefined {
    const n = ptraceSys.requestBuf(PTRACE.GET_SYSCALL_INFO, pid, INFO_SIZE, this.info);
    if (n < 0 || this.info[0] !== PTRACE_SYSCALL_INFO_SECCOMP) return undefined;
    const b = this.info;
    const args: bigint[] = [];
    for (let i = 0; i < 6; i++) args.push(b.readBigUInt64LE(32 + 8 * i));
    return { arch: archFromAudit(b.readUInt32LE(4)), nr: Number(b.readBigUInt64LE(24)), sp: b.readBigUInt64LE(16), args };
  }

  private onSeccomp(pid: number): void {
    const started = process.hrtime.bigint();
    const stop = this.readStop(pid);
    if (stop === undefined) return this.resume(PTRACE.CONT, pid, 0);
    // A tracee in a ptrace stop cannot be reaped, so its pid cannot be reused: always still valid.
    const { reply, inFlight } = this.path.answer({ arch: stop.arch, nr: stop.nr, pid, args: stop.args, mem: new TraceeMemory(pid), started, stillValid: () => true });
    const result = this.carryOut(pid, stop, inFlight, reply);
    if (result !== 'pending') this.path.record(inFlight, result);
  }

  /** Carry out a reply; 'pending' when the call runs rewritten and its result comes at syscall exit. */
  private carryOut(pid: number, stop: SeccompStop, call: InFlight, r: Reply): Result | 'pending' {
    switch (r.kind) {
      case 'return':
        this.skip(pid, r.val);
        return r.val;
      case 'error':
        this.skip(pid, BigInt(-r.errno));
        return BigInt(-r.errno);
      case 'continue':
        this.resume(PTRACE.CONT, pid, 0);
        return 'continue';
      case 'addfd': {
        const argIndex = PATH_ARG[call.name];
        const path = Buffer.from(supervisorFdPath(process.pid, r.fd) + '\0');
        const at = scratchAddress(stop.sp, path.length, redZone(stop.arch!));
        if (argIndex === undefined || !new TraceeMemory(pid).write(at, path)) {
          Tracer.closeFd(r.fd);
          // No path argument to point elsewhere, or no writable stack below the red zone.
          this.skip(pid, BigInt(-E.EFAULT!));
          return BigInt(-E.EFAULT!);
        }
        const reg = argOffset(stop.arch!, argIndex);
        ptraceSys.request(PTRACE.POKEUSER, pid, reg, at);
        this.pending.set(pid, { reg, orig: stop.args[argIndex]!, fd: r.fd, call });
        this.resume(PTRACE.SYSCALL, pid, 0);
        return 'pending';
      }
    }
  }

  /** Skip the call (orig_rax = -1) and leave `val` as its result. */
  private skip(pid: number, val: bigint): void {
    ptraceSys.request(PTRACE.POKEUSER, pid, ORIG_RAX, -1);
    ptraceSys.request(PTRACE.POKEUSER, pid, RAX, val);
    this.resume(PTRACE.CONT, pid, 0);
  }

  private onSyscallExit(pid: number): void {
    const p = this.pending.get(pid);
    if (p === undefined) return this.resume(PTRACE.CONT, pid, 0);
    this.pending.delete(pid);
    ptraceSys.request(PTRACE.POKEUSER, pid, p.reg, p.orig);
    const ok = ptraceSys.requestBuf(PTRACE.PEEKUSER, pid, RAX, this.word) === 0;
    Tracer.closeFd(p.fd);
    this.resume(PTRACE.CONT, pid, 0);
    this.path.record(p.call, ok ? this.word.readBigInt64LE(0) : 'continue');
  }

  /** Handlers open the fds they hand over with libc (proc-identity's reopen): close them with libc too. */
  private static closeFd(fd: number): void {
    sys.close(fd);
  }

  finish(error?: string): void {
    this.trace?.close();
    for (const p of this.pending.values()) Tracer.closeFd(p.fd);
    post({ type: 'done', stats: this.path.callStats(), ...(error === undefined ? {} : { error }) });
  }
}

function main(input: TracerInput): void {
  const tracer = new Tracer(input);
  const failed = tracer.seize(input.pid);
  post(failed === undefined ? { type: 'seized' } : { type: 'seized', error: `PTRACE_SEIZE: ${failed}` });
  if (failed !== undefined) return tracer.finish(failed);
  try {
    tracer.loop();
    tracer.finish();
  } catch (e) {
    tracer.finish((e as Error).message);
  }
}

main(workerData as TracerInput);
