import { describe, expect, it } from 'vitest';
import { PodTable } from './pod-table.js';
import type { PlatformPod } from './pod-table.js';

function pod(podId: string, queuePort: number): PlatformPod {
  return { revKey: 'default/hello-00001', podId, host: '127.0.0.1', queuePort, metricsPort: queuePort + 1, startedAtMs: 5, ready: false };
}

function setup(readyInActivator: Set<string>) {
  const readied: string[] = [];
  const table = new PodTable({
    isReadyInActivator: (_rev, podId) => readyInActivator.has(podId),
    onReady: (p) => readied.push(p.podId),
  });
  return { table, readied };
}

const afterMacrotask = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('PodTable', () => {
  it('marks a pod ready after a successful probe once the activator lists it as ready, and only once', async () => {
    const inActivator = new Set<string>();
    const { table, readied } = setup(inActivator);
    table.add(pod('p1', 1000));
    const probe = table.wrapProbe(() => Promise.resolve(true));
    // The activator's own continuation runs on the probe promise; it marks the pod ready there.
    await probe('127.0.0.1', 1000, AbortSignal.timeout(1000)).then(() => inActivator.add('p1'));
    await afterMacrotask();
    expect(readied).toEqual(['p1']);
    await probe('127.0.0.1', 1000, AbortSignal.timeout(1000));
    await afterMacrotask();
    expect(readied).toEqual(['p1']);
    expect(table.scrapeTargets('default/hello-00001')).toEqual([
      { name: 'p1', host: '127.0.0.1', metricsPort: 1001, startedAtMs: 5 },
    ]);
  });

  it('ignores failed probes, unknown addresses and pods the activator does not list as ready', async () => {
    const { table, readied } = setup(new Set(['p1']));
    table.add(pod('p1', 1000));
    table.add(pod('p2', 2000));
    await table.wrapProbe(() => Promise.resolve(false))('127.0.0.1', 1000, AbortSignal.timeout(1000));
    await table.wrapProbe(() => Promise.resolve(true))('127.0.0.1', 2000, AbortSignal.timeout(1000));
    await table.wrapProbe(() => Promise.resolve(true))('127.0.0.1', 3000, AbortSignal.timeout(1000));
    await afterMacrotask();
    expect(readied).toEqual([]);
    expect(table.scrapeTargets('default/hello-00001')).toEqual([]);
  });

  it('forgets removed pods: no scrape target, no readiness', async () => {
    const { table, readied } = setup(new Set(['p1']));
    table.add(pod('p1', 1000));
    table.remove('default/hello-00001', 'p1');
    await table.wrapProbe(() => Promise.resolve(true))('127.0.0.1', 1000, AbortSignal.timeout(1000));
    await afterMacrotask();
    expect(readied).toEqual([]);
    expect(table.get('default/hello-00001', 'p1')).toBeUndefined();
  });
});
