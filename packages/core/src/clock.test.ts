import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';

describe('systemClock', () => {
  it('reads a monotonic millisecond clock', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(a - performance.now())).toBeLessThan(1000);
  });

  it('fires a timer once, after its delay; a cancelled one never fires', async () => {
    const fired: string[] = [];
    const cancel = systemClock.setTimer(() => fired.push('cancelled'), 1);
    cancel();
    cancel(); // idempotent
    const start = systemClock.now();
    await new Promise<void>((resolve) => {
      systemClock.setTimer(() => {
        fired.push('kept');
        resolve();
      }, 20);
    });
    expect(systemClock.now() - start).toBeGreaterThanOrEqual(19);
    expect(fired).toEqual(['kept']);
  });

  it('is frozen: nobody swaps the process clock under its users', () => {
    expect(Object.isFrozen(systemClock)).toBe(true);
  });
});
