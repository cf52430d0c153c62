/**
 * The watchdog's limits on `criu restore` (watchdog.ts; the service's restore-image keeps them
 * too). A file of its own so that the CLI reads the defaults for --help without loading the
 * watchdog (a thin client of cr-shim serve never runs it).
 */
export interface CriuLimits {
  /** Kill criu restore after this long. */
  timeoutMs: number;
  /** Kill criu restore once its log passes this many bytes. */
  maxLogBytes: number;
}

/** Generous for a large image on a loaded machine; `--criu-timeout` and `--criu-log-limit` change them. */
export const DEFAULT_CRIU_LIMITS: CriuLimits = { timeoutMs: 600_000, maxLogBytes: 64 * 2 ** 20 };
