/**
 * Forwarding the signals a user sends to cr-shim (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT, SIGUSR1, SIGUSR2) to the supervised program.
 *
 * Listen before the program exists: a program can start and print "ready"
 * before the line after spawn() runs on a loaded machine, and a signal that
 * reaches cr-shim before its listener is installed kills cr-shim itself (the
 * default action) while the program runs on, unsupervised and unreachable.
 * Signals that arrive before `attach` are held and delivered on attach.
 */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

export class SignalForwarder {
  private target: ((sig: NodeJS.Signals) => void) | undefined;
  private readonly pending: NodeJS.Signals[] = [];
  private readonly listeners = FORWARDED_SIGNALS.map((s) => [s, () => this.deliver(s)] as const);

  constructor() {
    for (const [s, f] of this.listeners) process.on(s, f);
  }

  /** From now on, signals go to `send`; any held ones first, in order. */
  attach(send: (sig: NodeJS.Signals) => void): void {
    this.target = send;
    for (const s of this.pending.splice(0)) send(s);
  }

  dispose(): void {
    for (const [s, f] of this.listeners) process.off(s, f);
  }

  private deliver(sig: NodeJS.Signals): void {
    if (this.target) this.target(sig);
    else this.pending.push(sig);
  }
}
