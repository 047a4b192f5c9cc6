/**
 * The local control plane end to end: router → in-process activator → real kdp-queue-proxy → real app, pods as
 * child processes, the KPA autoscaler scraping them. Revisions start at zero (initial-scale 0, allowed in this
 * control plane's autoscaler config), so every first request is a cold start.
 *
 * Needs `npm run build` (the sample app and the queue-proxy run from dist/).
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteInput } from '@kdp/router';
import { revisionKey } from '@kdp/runtime';
import type { Revision } from '@kdp/runtime';
import {
  SAMPLE_APP,
  coldStartPhaseSums,
  isAlive,
  nextEvent,
  nodeRevision,
  routerGet,
  startTestControlPlane,
  until,
  writeFixtures,
} from './helpers/control-plane.js';
import type { Fixtures, TestControlPlane } from './helpers/control-plane.js';

const AT_ZERO = { 'autoscaling.knative.dev/initial-scale': '0' } as const;

let fx: Fixtures;
let t: TestControlPlane;
const routes: RouteInput[] = [];
/** Every pod pid seen, to check none survives `stop()`. */
const pids = new Set<number>();

beforeAll(async () => {
  fx = writeFixtures();
  t = await startTestControlPlane({ autoscaler: { allowZeroInitialScale: true } });
});

afterAll(async () => {
  await t.cp.stop();
  fx.remove();
});

/** Adds the revision and routes `<service>.default.localhost` to it; returns its key and host. */
function serve(rev: Revision): { key: string; host: string } {
  t.cp.addRevision(rev);
  routes.push({ namespace: rev.namespace, name: rev.service, split: [{ revisionName: rev.name, percent: 100 }] });
  t.cp.setRoutes(routes);
  return { key: revisionKey(rev), host: `${rev.service}.${rev.namespace}.${t.cp.domain}` };
}

function recordPids(key: string): number[] {
  const out: number[] = [];
  for (const p of t.cp.revisionStatus(key)?.pods ?? []) {
    for (const pid of [p.pids.user, p.pids.queueProxy]) {
      if (pid === undefined) continue;
      out.push(pid);
      pids.add(pid);
    }
  }
  return out;
}

describe('scale from zero through the router and the in-process activator', () => {
  it('starts a pod for the first request to a revision at zero and answers with the app body', async () => {
    const { key, host } = serve(nodeRevision('hello-00001', SAMPLE_APP, { annotations: AT_ZERO }));
    expect(t.cp.revisionStatus(key)).toMatchObject({ everReady: false, readyPods: 0, actualPods: 0, desiredPods: 0 });
    const ready = nextEvent(t.cp.events, 'revisionReady', (k) => k === key);

    const t0 = performance.now();
    const res = await routerGet(t.port, host, '/');
    const clientMs = performance.now() - t0;

    expect(res.status).toBe(200);
    expect(res.body).toBe('Hello World!\n');
    expect(res.headers['x-kdp-revision']).toBe('hello-00001');
    await ready;
    expect(t.cp.revisionStatus(key)).toMatchObject({ everReady: true, readyPods: 1, actualPods: 1, desiredPods: 1, failure: null });
    expect(recordPids(key)).toHaveLength(2);

    // The activator's cold-start histograms hold exactly this one cold start: each _sum is the phase's duration.
    const phases = coldStartPhaseSums(await t.cp.metricsText(), 'hello-00001');
    expect(Object.keys(phases).sort()).toEqual(['app_ready', 'first_byte', 'pod_start', 'total']);
    const ms = (s: number | undefined): string => `${((s ?? Number.NaN) * 1000).toFixed(1)} ms`;
    console.log(
      `cold start of the sample app: buffered→pod started ${ms(phases['pod_start'])}, →app ready ` +
        `${ms(phases['app_ready'])}, →first byte ${ms(phases['first_byte'])}; activator total ${ms(phases['total'])}, ` +
        `client ${clientMs.toFixed(1)} ms`,
    );
  });

  it('returns to zero pods after idling, with the pod processes gone, and cold-starts again', { timeout: 45_000 }, async () => {
    const annotations = {
      ...AT_ZERO,
      'autoscaling.knative.dev/window': '6s',
      'kdp.dev/scale-to-zero-grace-period': '1s',
    };
    const { key, host } = serve(nodeRevision('idle-00001', SAMPLE_APP, { annotations }));
    const first = await routerGet(t.port, host, '/');
    expect(first.status).toBe(200);
    const firstPids = recordPids(key);
    expect(firstPids).toHaveLength(2);

    await nextEvent(t.cp.events, 'scaled', (k, desired) => k === key && desired === 0, 30_000);
    await until('the idle revision to have no pods', () => {
      const s = t.cp.revisionStatus(key);
      return s !== undefined && s.actualPods === 0 && s.pods.length === 0;
    });
    expect(t.cp.revisionStatus(key)).toMatchObject({ everReady: true, readyPods: 0, actualPods: 0, desiredPods: 0 });
    expect(firstPids.filter(isAlive)).toEqual([]);

    const again = await routerGet(t.port, host, '/');
    expect(again.status).toBe(200);
    expect(again.body).toBe('Hello World!\n');
    const secondPids = recordPids(key);
    expect(secondPids).toHaveLength(2);
    expect(secondPids.some((p) => firstPids.includes(p))).toBe(false);
  });

  it('serves 100 concurrent requests from zero with containerConcurrency 1, one request per pod at a time', { timeout: 45_000 }, async () => {
    const rev = nodeRevision('burst-00001', fx.concurrencyApp, {
      containerConcurrency: 1,
      annotations: { ...AT_ZERO, 'autoscaling.knative.dev/max-scale': '10' },
    });
    const { key, host } = serve(rev);
    let maxDesired = 0;
    const onScaled = (k: string, desired: number): void => {
      if (k === key) maxDesired = Math.max(maxDesired, desired);
    };
    t.cp.events.on('scaled', onScaled);
    try {
      const results = await Promise.all(Array.from({ length: 100 }, () => routerGet(t.port, host, '/?sleep=100')));
      expect(results.filter((r) => r.status !== 200).map((r) => `${String(r.status)} ${r.body}`)).toEqual([]);
      const maxByPod = new Map<string, number>();
      for (const r of results) {
        const pod = String(r.headers['x-pod']);
        maxByPod.set(pod, Math.max(maxByPod.get(pod) ?? 0, Number(r.headers['x-max-concurrency'])));
      }
      expect([...maxByPod.values()].every((m) => m === 1)).toBe(true);
      // The poke alone asks for ceil(1 / 0.7) = 2 pods; the activator's reports then ask for more, up to max-scale.
      expect(maxByPod.size).toBeGreaterThanOrEqual(2);
      expect(maxDesired).toBeGreaterThanOrEqual(2);
      expect(maxDesired).toBeLessThanOrEqual(10);
      recordPids(key);
    } finally {
      t.cp.events.off('scaled', onScaled);
    }

    // Removing the revision drains its pods; the route still names it, so its host now answers 404.
    await t.cp.removeRevision(key);
    expect(t.cp.revisionStatus(key)).toBeUndefined();
    const gone = await routerGet(t.port, host, '/');
    expect(gone.status).toBe(404);
    expect(gone.headers['x-kdp-error']).toBe('not-found');
  });

  it('counts each request once in the concurrency the autoscaler sees (activator report, proxied pod stats)', { timeout: 30_000 }, async () => {
    // 10 requests held 6 s each: the activator reports ~10 (buffered time included) every second; the pod's
    // queue-proxy sees the same 10 but marked `K-Proxy-Request: activator`, so the scrape adds ~0. Counted twice the
    // stable average would head for 20 (~15 by the end of the ramp; measured), lost (no activator report) for ~0;
    // correct is ~8.3: (poke 1 + first report 9 + 4 × 10) / 6 seconds.
    const { key, host } = serve(
      nodeRevision('steady-00001', fx.concurrencyApp, { annotations: { ...AT_ZERO, 'autoscaling.knative.dev/window': '6s' } }),
    );
    let inFlight = true;
    const load = Promise.all(Array.from({ length: 10 }, () => routerGet(t.port, host, '/?sleep=6000'))).finally(() => {
      inFlight = false;
    });
    let maxStable = 0;
    let observations = 0;
    await until('the load to end', () => {
      const a = t.cp.revisionStatus(key)?.autoscaling;
      if (inFlight && a !== undefined && a !== null && Number.isFinite(a.stable)) {
        maxStable = Math.max(maxStable, a.stable);
        observations++;
      }
      return !inFlight;
    }, 15_000, 100);
    const results = await load;
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => 200));
    expect(observations).toBeGreaterThan(0);
    expect(maxStable).toBeGreaterThanOrEqual(6);
    expect(maxStable).toBeLessThanOrEqual(12);
    recordPids(key);
    await t.cp.removeRevision(key);
  });

  it('answers 504 "activator request timeout" when the revision timeout passes while the request is buffered', async () => {
    const rev = nodeRevision('slow-00001', fx.slowStartApp, {
      timeoutSeconds: 1,
      annotations: AT_ZERO,
      container: { command: [process.execPath, fx.slowStartApp], env: [{ name: 'SLOW_START_MS', value: '30000' }] },
    });
    const { key, host } = serve(rev);
    const t0 = performance.now();
    const res = await routerGet(t.port, host, '/');
    const elapsed = performance.now() - t0;
    expect(res.status).toBe(504);
    expect(res.body).toBe('activator request timeout');
    expect(res.headers['x-kdp-error']).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3_000);
    const s = t.cp.revisionStatus(key);
    expect(s).toMatchObject({ everReady: false, readyPods: 0, desiredPods: 1 });
    recordPids(key);
  });

  it('answers 404 not-found for a host no route serves', async () => {
    const res = await routerGet(t.port, 'nope.default.localhost', '/');
    expect(res.status).toBe(404);
    expect(res.headers['x-kdp-error']).toBe('not-found');
  });

  it('stop() drains every pod and leaves no pod process behind', async () => {
    for (const r of routes) recordPids(`${r.namespace}/${r.split[0]?.revisionName ?? ''}`);
    expect(pids.size).toBeGreaterThan(0);
    await t.cp.stop();
    expect([...pids].filter(isAlive)).toEqual([]);
  });
});
