import { afterEach, describe, expect, it } from 'vitest';
import { SignalForwarder } from '../../src/supervisor/signal-forwarder.js';

describe('SignalForwarder', () => {
  let f: SignalForwarder | undefined;
  afterEach(() => f?.dispose());

  it('holds a signal that arrives before the program exists and delivers it on attach', async () => {
    f = new SignalForwarder();
    process.kill(process.pid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 50));
    const got: string[] = [];
    f.attach((s) => got.push(s));
    expect(got).toEqual(['SIGUSR2']);
    process.kill(process.pid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(['SIGUSR2', 'SIGHUP']);
  });

  it('removes its listeners on dispose', () => {
    const before = process.listenerCount('SIGTERM');
    f = new SignalForwarder();
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    f.dispose();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
