/*
 * core-TID.img: one core_entry per thread, the main thread's with the task-wide part
 * (images/core.proto). Field numbers used here:
 *
 *   core_entry        ::= 1 mtype: enum            1 X86_64, 2 ARM, 3 AARCH64, 4 PPC64, 5 S390,
 *                                                  6 MIPS, 7 LOONGARCH64, 8 RISCV64
 *                       | 3 tc: task_core_entry    main thread only
 *                       | 5 thread_core: thread_core_entry
 *   task_core_entry   ::= 1 task_state: uint32   1 alive, 2 dead (a zombie: its core_entry has no
 *                                                  thread_core, and CRIU 4.1 writes a meaningless
 *                                                  thread id for it in pstree.img), 3 stopped
 *                       | 6 comm: string
 *                       | 11 old_seccomp_mode: enum     deprecated; when present CRIU's restore
 *                       | 12 old_seccomp_filter: uint32 uses them instead of thread_core's
 *   thread_core_entry ::= 8 pdeath_sig: uint32     PR_SET_PDEATHSIG; CRIU sets it again at restore,
 *                                                  relative to the task's new parent
 *                       | 10 creds: creds_entry    (see creds.ts)
 *                       | 11 seccomp_mode: enum    0 disabled, 1 strict, 2 filter (SECCOMP_MODE_*);
 *                                                  absent means disabled
 *                       | 12 seccomp_filter: uint32  index in seccomp.img where the thread's chain
 *                                                  starts: its oldest filter (see seccomp.ts)
 *                       | 13 comm: string
 *   (every other field is kept byte for byte)
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeEntry, readImage, readingImage, serializeImage, type ImageFile } from './image-file.js';
import { WireMessage } from './protobuf-wire.js';

const CORE = { mtype: 1, tc: 3, threadCore: 5 } as const;
const TC = { taskState: 1, comm: 6, oldSeccompMode: 11, oldSeccompFilter: 12 } as const;
const THREAD = { pdeathSig: 8, creds: 10, seccompMode: 11, seccompFilter: 12, comm: 13 } as const;

/** core_entry.march, by value: the architectures CRIU knows. */
export const CORE_ARCH: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'x86_64',
  2: 'arm',
  3: 'aarch64',
  4: 'ppc64',
  5: 's390',
  6: 'mips',
  7: 'loongarch64',
  8: 'riscv64',
};

export const SECCOMP_MODE = { disabled: 0, strict: 1, filter: 2 } as const;

/** task_core_entry.task_state (compel's task states). */
export const TASK_STATE = { alive: 1, dead: 2, stopped: 3 } as const;

export interface ThreadSeccomp {
  mode: number;
  /** Index in seccomp.img of the first (oldest) filter of the thread's chain, when mode is filter. */
  filter?: number;
}

/** Thread ids with a core-TID.img in `imgDir`, ascending. */
export function listCoreTids(imgDir: string): number[] {
  return fs
    .readdirSync(imgDir)
    .map((n) => /^core-(\d+)\.img$/.exec(n)?.[1])
    .filter((t): t is string => t !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** IMG/core-TID.img */
export function coreFile(imgDir: string, tid: number): string {
  return path.join(imgDir, `core-${tid}.img`);
}

/** One thread's core_entry, editable. */
export class CoreImage {
  private constructor(
    readonly tid: number,
    readonly file: string,
    private readonly image: ImageFile,
    readonly entry: WireMessage,
  ) {}

  /** Read IMG/core-TID.img. Throws ImageError when absent or corrupt. */
  static read(imgDir: string, tid: number): CoreImage {
    const file = coreFile(imgDir, tid);
    const image = readImage(file, 'core');
    return new CoreImage(tid, file, image, decodeEntry(image, 0, file));
  }

  /** The architecture name (CORE_ARCH), e.g. "x86_64". */
  arch(): string {
    return readingImage(this.file, () => {
      const m = this.entry.uint(CORE.mtype) ?? 0;
      return CORE_ARCH[m] ?? `march ${m}`;
    });
  }

  /** task_core_entry.task_state, for a process's main thread; undefined for other threads. */
  taskState(): number | undefined {
    return readingImage(this.file, () => this.entry.message(CORE.tc)?.uint(TC.taskState));
  }

  /** The thread's comm: thread_core's, else the task's. */
  comm(): string | undefined {
    return readingImage(this.file, () => this.entry.message(CORE.threadCore)?.string(THREAD.comm) ?? this.entry.message(CORE.tc)?.string(TC.comm));
  }

  /** Seccomp state as CRIU's restore reads it: the task's deprecated fields win when present. */
  seccomp(): ThreadSeccomp {
    return readingImage(this.file, () => {
      const tc = this.entry.message(CORE.tc);
      const th = this.entry.message(CORE.threadCore);
      const mode = tc?.uint(TC.oldSeccompMode) ?? th?.uint(THREAD.seccompMode) ?? SECCOMP_MODE.disabled;
      const filter = tc?.has(TC.oldSeccompMode) ? tc.uint(TC.oldSeccompFilter) : th?.uint(THREAD.seccompFilter);
      return filter === undefined || mode !== SECCOMP_MODE.filter ? { mode } : { mode, filter };
    });
  }

  /**
   * Set the seccomp state; a disabled thread carries neither field, as CRIU writes it.
   * A zombie's core has no thread_core (and thread_core has required fields an empty one
   * would lack, which CRIU's restore refuses to unpack): a zombie runs no more syscalls,
   * so it keeps no filter and nothing is written for it.
   */
  setSeccomp(s: ThreadSeccomp): void {
    readingImage(this.file, () => {
      const th = this.entry.message(CORE.threadCore);
      if (th === undefined) return;
      writeSeccomp(th, THREAD.seccompMode, THREAD.seccompFilter, s);
      this.entry.setMessage(CORE.threadCore, th);
      const tc = this.entry.message(CORE.tc);
      if (tc?.has(TC.oldSeccompMode) || tc?.has(TC.oldSeccompFilter)) {
        writeSeccomp(tc, TC.oldSeccompMode, TC.oldSeccompFilter, s);
        this.entry.setMessage(CORE.tc, tc);
      }
    });
  }

  /** The signal the thread gets when its parent dies (PR_SET_PDEATHSIG), if any. */
  pdeathSignal(): number | undefined {
    return readingImage(this.file, () => {
      const sig = this.entry.message(CORE.threadCore)?.uint(THREAD.pdeathSig);
      return sig === 0 ? undefined : sig;
    });
  }

  clearPdeathSignal(): void {
    readingImage(this.file, () => {
      const th = this.entry.message(CORE.threadCore);
      if (th === undefined || !th.has(THREAD.pdeathSig)) return;
      th.remove(THREAD.pdeathSig);
      this.entry.setMessage(CORE.threadCore, th);
    });
  }

  /** thread_core.creds, or undefined for images that keep creds in creds-PID.img. */
  creds(): WireMessage | undefined {
    return readingImage(this.file, () => this.entry.message(CORE.threadCore)?.message(THREAD.creds));
  }

  /** Set thread_core.creds; a core without thread_core (a zombie's) has no creds to set. */
  setCreds(creds: WireMessage): void {
    readingImage(this.file, () => {
      const th = this.entry.message(CORE.threadCore);
      if (th === undefined) return;
      th.setMessage(THREAD.creds, creds);
      this.entry.setMessage(CORE.threadCore, th);
    });
  }

  /** The image's bytes with the edits made so far. */
  serialize(): Buffer {
    return serializeImage({ kind: this.image.kind, entries: [this.entry.encode(), ...this.image.entries.slice(1)] });
  }
}

function writeSeccomp(msg: WireMessage, modeNo: number, filterNo: number, s: ThreadSeccomp): void {
  if (s.mode === SECCOMP_MODE.disabled) {
    msg.remove(modeNo);
    msg.remove(filterNo);
    return;
  }
  msg.setUint(modeNo, s.mode);
  if (s.filter === undefined) msg.remove(filterNo);
  else msg.setUint(filterNo, s.filter);
}
