import { describe, expect, it } from 'vitest';
import { LateMetrics } from './late-metrics.js';
import type { LoadedMetrics } from './late-metrics.js';

function fake(): LoadedMetrics & { seen: number[][]; depth: number } {
  const m = {
    seen: [] as number[][],
    depth: -1,
    registry: { contentType: 'text/plain', metrics: () => Promise.resolve('# metrics\n') },
    observe(status: number, seconds: number) {
      m.seen.push([status, seconds]);
    },
    setQueueDepth(n: number) {
      m.depth = n;
    },
  };
  return m;
}

describe('LateMetrics', () => {
  it('replays observations made before the registry loaded, then forwards directly', async () => {
    const late = new LateMetrics();
    late.observe(200, 0.1);
    late.observe(503, 0.2);
    late.setQueueDepth(3);
    const m = fake();
    late.attach(Promise.resolve(m));
    expect(await late.metrics()).toBe('# metrics\n');
    expect(m.seen).toEqual([[200, 0.1], [503, 0.2]]);
    expect(m.depth).toBe(3);
    late.observe(404, 0.3);
    expect(m.seen.at(-1)).toEqual([404, 0.3]);
  });

  it('a scrape before attach fails instead of hanging', async () => {
    await expect(new LateMetrics().metrics()).rejects.toThrow('metrics not loaded');
  });
});
