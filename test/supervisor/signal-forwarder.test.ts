import { afterEach, describe, expect, it, vi } from 'vitest';
import { SignalForwarder } from '../../src/supervisor/signal-forwarder.js';

describe('SignalForwarder', () => {
  let f: SignalForwarder | undefined;
  afterEach(() => f?.dispose());

  it('holds a signal that arrives before the program exists and delivers it on attach', async () => {
    f = new SignalForwarder();
    // Node delivers a signal on a later turn of the event loop: wait until this
    // process has seen it (a listener of our own, added after the forwarder's), then attach.
    const seen: string[] = [];
    const witness = (s: NodeJS.Signals): void => void seen.push(s);
    process.on('SIGUSR2', witness);
    process.on('SIGHUP', witness);
    try {
      process.kill(process.pid, 'SIGUSR2');
      await vi.waitFor(() => expect(seen).toEqual(['SIGUSR2']), { timeout: 10_000 });
      const got: string[] = [];
      f.attach((s) => got.push(s));
      expect(got).toEqual(['SIGUSR2']);
      process.kill(process.pid, 'SIGHUP');
      await vi.waitFor(() => expect(seen).toEqual(['SIGUSR2', 'SIGHUP']), { timeout: 10_000 });
      expect(got).toEqual(['SIGUSR2', 'SIGHUP']);
    } finally {
      process.off('SIGUSR2', witness);
      process.off('SIGHUP', witness);
    }
  });

  it('removes its listeners on dispose', () => {
    const before = process.listenerCount('SIGTERM');
    f = new SignalForwarder();
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    f.dispose();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
