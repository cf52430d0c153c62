import type { Arch } from '../arch.js';
import type { Persona } from '../persona/types.js';
import type { NativeAction } from '../native/addon-types.js';
import type { TraceeMemory } from '../native/tracee-memory.js';

/** How a handler answers one notification. */
export type Reply =
  | { kind: 'return'; val: bigint }
  | { kind: 'error'; errno: number }
  /** Let the kernel run the call as the task asked (SECCOMP_USER_NOTIF_FLAG_CONTINUE). */
  | { kind: 'continue' }
  /** Install `fd` (owned by the supervisor, closed after) in the task and return its number. */
  | { kind: 'addfd'; fd: number; cloexec: boolean };

/** One trapped call, decoded for a handler. */
export interface Call {
  arch: Arch;
  nr: number;
  name: string;
  pid: number;
  args: readonly bigint[];
  mem: TraceeMemory;
  /** SECCOMP_IOCTL_NOTIF_ID_VALID: false once the task is gone or its pid reused. */
  stillValid(): boolean;
}

/** What every handler of one supervised tree shares. */
export interface HandlerContext {
  persona: Persona;
  /**
   * The identity files and removed sysctl files are bind-mounted in the program's mount namespace
   * (run as root: PlanView.identityMounted): no verdict needs their text in memfds.
   */
  identityMounted?: boolean;
}

export interface Handler {
  /** Handler id, the name used in plans and docs (e.g. "uname"). */
  id: string;
  /** Full answer in TypeScript. Must give the same result as `native` where both exist. */
  handle(call: Call, ctx: HandlerContext): Reply;
  /** A verdict the native loop can give itself, for the hot calls; omitted → every call comes to `handle`. */
  native?(arch: Arch, nr: number, name: string, ctx: HandlerContext): Omit<NativeAction, 'nr'> | undefined;
  /**
   * Its verdict answers only its own calls and defers every other one to TypeScript (enterStrict:
   * strict-mode requests), so it may stand for a number other rows' handlers share (prctl with
   * yama-ptracer): the others' calls then reach `handle` of the route.
   */
  nativeDefers?: boolean;
}

/** Support levels, as printed in docs/SUPPORTED.md. */
export type Support = 'full' | 'partial' | 'unsupported';

/** Facts a rule sees when the plan asks whether it applies. */
export interface RuleFacts {
  arch: Arch;
  personaRelease: string;
  /** The persona's status for this call (present or gutted; absent calls never reach rules). */
  personaStatus: 'present' | 'gutted';
  /** Whether this host's running kernel implements it (table and build probe). */
  hostHas: boolean;
  /** The persona is this host's own kernel (no --kernel): identity needs no translation. */
  sameKernel: boolean;
  /** The identity files are bind mounts in the program's own mount namespace (run), so opens need no handler. */
  identityMounted: boolean;
  /** The user opted in to io_uring (--allow-io-uring), accepting that its requests bypass the filter. */
  ioUring: boolean;
}

/**
 * One row of the registry: how cr-shim treats a syscall that the persona's
 * kernel has. Either a fixed errno decided in BPF, or a handler.
 */
export type Emulation = {
  support: Support;
  note: string;
  /** Does this row apply for this persona and host? Omitted: always. */
  when?: (f: RuleFacts) => boolean;
} & ({ errno: string } | { handler: string });
