/** The shape of a compiled run (compiled-run.ts), kept apart so the cache-hit path imports no compiler. */
import type { NativeAction } from '../native/addon-types.js';
import type { Persona } from '../persona/types.js';
import type { RouteSpec } from './worker-protocol.js';

export interface CompiledRun {
  /** The filter, raw struct sock_filter bytes. */
  filter: Uint8Array;
  /** Its sha256, hex, for the supervision record (criu/supervised-record.ts) without loading node:crypto. */
  filterSha256: string;
  /** Told to the user before the program starts (nearest-release choice). */
  notices: string[];
  /** Identity files bind-mounted in the program's mount namespace, by absolute path. */
  identity?: [string, string][];
  /** Removed sysctl files added to that namespace. */
  added?: [string, string][];
  /** The TypeScript worker's input, should a call need a handler. */
  worker: { persona: Persona; routes: RouteSpec[] };
  /** The native loop's verdicts per AUDIT_ARCH value (empty with --trace). */
  nativeActions: [number, NativeAction[]][];
}
