import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { shutdownOnSignals } from './signals.js';

function fakeProcess(): { proc: EventEmitter & { exit: (code: number) => void }; codes: number[] } {
  const codes: number[] = [];
  const proc = Object.assign(new EventEmitter(), {
    exit: (code: number): void => {
      codes.push(code);
    },
  });
  return { proc, codes };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('shutdownOnSignals', () => {
  it.each(['SIGTERM', 'SIGINT'])('%s runs the shutdown once and exits 0 when it resolves', async (signal) => {
    const { proc, codes } = fakeProcess();
    let calls = 0;
    let finish: () => void = () => undefined;
    shutdownOnSignals({ logger: quiet, proc, shutdown: () => { calls++; return new Promise<void>((r) => (finish = r)); } });
    proc.emit(signal, signal);
    expect(calls).toBe(1);
    expect(codes).toEqual([]);
    finish();
    await new Promise((r) => setImmediate(r));
    expect(codes).toEqual([0]);
  });

  it('a second signal exits 1 at once, before the shutdown completes', () => {
    const { proc, codes } = fakeProcess();
    shutdownOnSignals({ logger: quiet, proc, shutdown: () => new Promise<void>(() => undefined) });
    proc.emit('SIGTERM', 'SIGTERM');
    proc.emit('SIGTERM', 'SIGTERM');
    expect(codes).toEqual([1]);
  });

  it('a failing shutdown exits 1', async () => {
    const { proc, codes } = fakeProcess();
    shutdownOnSignals({ logger: quiet, proc, shutdown: () => Promise.reject(new Error('boom')) });
    proc.emit('SIGINT', 'SIGINT');
    await new Promise((r) => setImmediate(r));
    expect(codes).toEqual([1]);
  });
});
