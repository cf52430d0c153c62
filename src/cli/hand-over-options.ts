/** `--socket PATH` and `--no-serve` of restore and attach: whether to hand the tree to `cr-shim serve` (src/restore/hand-over.ts). */
import type { Parsed } from './args.js';
import { flag, str } from './args.js';

export const SOCKET_HELP = 'the cr-shim serve listening here (default: $CR_SHIM_SOCKET, else /run/cr-shim/serve.sock), if it answers and is root\'s, restores (restore) or takes over (attach) and supervises the tree; this command waits for its end';
export const NO_SERVE_HELP = 'supervise the tree in this process even when cr-shim serve runs (so do --stats and --trace)';

/**
 * The hand-over request: none with --no-serve, --stats or --trace (the counters and the trace
 * are this process's worker's).
 */
export function serveChoice(p: Parsed, trace: string | undefined): { serve?: { socket?: string; ioUring: boolean } } {
  if (flag(p.options['no-serve']) || flag(p.options.stats) || trace !== undefined) return {};
  const socket = str(p.options.socket);
  return { serve: { ioUring: flag(p.options['allow-io-uring']), ...(socket !== undefined ? { socket } : {}) } };
}
