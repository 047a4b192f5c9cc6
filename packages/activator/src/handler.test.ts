import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Http1Engine, createLogger } from '@kdp/core';
import type { ExchangeHandler } from '@kdp/core';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createActivator } from './activator.js';
import type { Activator, ActivatorOptions } from './activator.js';
import type { ActivatorStat } from './reporter.js';
import type { RevisionSpec } from './revisions.js';
import { startFakeQueueProxy } from './testing/fake-queue-proxy.js';
import type { FakeQueueProxy } from './testing/fake-queue-proxy.js';

const KEY = 'ns/rev';
const REV_HEADERS = { 'Knative-Serving-Namespace': 'ns', 'Knative-Serving-Revision': 'rev' };

interface Fixture {
  act: Activator;
  port: number;
  registry: Registry;
  pokes: string[];
  reports: [string, ActivatorStat][];
  pods: FakeQueueProxy[];
  agent: http.Agent;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  spec: Partial<RevisionSpec> & { containerConcurrency: number },
  opts: { pods?: number; options?: Partial<ActivatorOptions>; inProcess?: boolean } = {},
): Promise<Fixture> {
  const pokes: string[] = [];
  const reports: [string, ActivatorStat][] = [];
  const registry = new Registry();
  const act = createActivator({
    logger: createLogger({ name: 'activator-test', level: 'silent' }),
    sink: { report: (k, s) => reports.push([k, s]), poke: (k) => pokes.push(k) },
    registry,
    probeIntervalMs: 50,
    ...opts.options,
  });
  act.revisions.upsert({ namespace: 'ns', name: 'rev', ...spec });
  const handler: ExchangeHandler = opts.inProcess === true ? (ex) => act.handle(ex, KEY) : act.handler;
  const engine = new Http1Engine({ handler });
  const port = await engine.listen(0, '127.0.0.1');
  const pods = await Promise.all(Array.from({ length: opts.pods ?? 0 }, (_, i) => startFakeQueueProxy(`pod-${String(i)}`)));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
  cleanups.push(async () => {
    agent.destroy();
    act.close();
    await engine.close(200);
    await Promise.all(pods.map((p) => p.close()));
  });
  return { act, port, registry, pokes, reports, pods, agent };
}

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(f: Fixture, headers: http.OutgoingHttpHeaders = REV_HEADERS, path = '/'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: f.port, path, headers, agent: f.agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const start = (f: Fixture, pod: FakeQueueProxy): void => f.act.revisions.podStarted(KEY, pod.id, pod.host, pod.port);
const throttler = (f: Fixture) => {
  const entry = f.act.revisions.get(KEY);
  if (entry === undefined) throw new Error('revision missing');
  return entry.throttler;
};

/** Resolves once `cond` holds, checked every event-loop turn; the test timeout bounds it. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

describe('cold start: buffering, readiness, poke', () => {
  it('releases a buffered request within 300 ms of the pod becoming ready, and pokes once', async () => {
    const f = await setup({ containerConcurrency: 0 }, { pods: 1 });
    const pod = f.pods[0]!;
    start(f, pod);
    const pending = [request(f), request(f), request(f)];
    await until(() => throttler(f).queued === 3);
    await pod.waitForProbes(2); // still probing: not ready yet
    expect(f.pokes).toEqual([KEY]);
    pod.setReady();
    const results = await Promise.all(pending);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const firstArrival = Math.min(...pod.requests.map((r) => r.atMs));
    // Typically ~10-20 ms (the re-probe period); the bound leaves room for a busy CI machine and still fails for a
    // release that waits for a slow probe cycle (Knative's is 1 s).
    expect(firstArrival - pod.readyAtMs).toBeLessThan(300);
    expect(f.pokes).toEqual([KEY]);
    // The probe is Knative's: GET /healthz, K-Network-Probe: queue, the activator's user agent.
    const probe = pod.probes[0]!;
    expect([probe.method, probe.path, probe.headers['k-network-probe'], probe.headers['user-agent']]).toEqual([
      'GET',
      '/healthz',
      'queue',
      'Knative-Activator-Probe',
    ]);
  });

  it('pokes again in the next cold episode, not for every buffered request', async () => {
    const f = await setup({ containerConcurrency: 0 }, { pods: 2 });
    const [a, b] = [f.pods[0]!, f.pods[1]!];
    start(f, a);
    const first = [request(f), request(f)];
    await until(() => throttler(f).queued === 2);
    a.setReady();
    await Promise.all(first);
    expect(f.pokes).toEqual([KEY]);
    // Warm: no poke.
    expect((await request(f)).status).toBe(200);
    // Scaled to zero, then cold again.
    f.act.revisions.podStopping(KEY, a.id);
    f.act.revisions.podStopped(KEY, a.id);
    const second = [request(f), request(f)];
    await until(() => throttler(f).queued === 2);
    expect(f.pokes).toEqual([KEY, KEY]);
    b.setReady();
    start(f, b);
    expect((await Promise.all(second)).map((r) => r.status)).toEqual([200, 200]);
    expect(b.requests.length).toBe(2);
  });

  it('serves 100 concurrent requests to a cold cc=1 revision, all 200 (Knative TestActivatorOverload)', async () => {
    const f = await setup({ containerConcurrency: 1 }, { pods: 3 });
    for (const p of f.pods) p.delayMs = 5;
    for (const p of f.pods) start(f, p);
    const all = Array.from({ length: 100 }, () => request(f));
    await until(() => throttler(f).queued === 100);
    for (const p of f.pods) p.setReady();
    const results = await Promise.all(all);
    expect(results.filter((r) => r.status === 200).length).toBe(100);
    for (const p of f.pods) expect(p.maxInFlight).toBe(1);
    expect(f.pods.reduce((n, p) => n + p.requests.length, 0)).toBe(100);
    expect(f.pokes).toEqual([KEY]);
  });

  it('records the cold start in phases: pod_start, app_ready, first_byte, and the total', async () => {
    const f = await setup({ containerConcurrency: 0 }, { pods: 1 });
    const pod = f.pods[0]!;
    const pending = request(f);
    await until(() => throttler(f).queued === 1);
    start(f, pod); // the runtime reports the pod after the request was buffered
    await pod.waitForProbes(1);
    pod.setReady();
    expect((await pending).status).toBe(200);
    const text = await f.registry.metrics();
    const labels = 'k8s_namespace_name="ns",kn_revision_name="rev"';
    for (const phase of ['pod_start', 'app_ready', 'first_byte']) {
      expect(text).toContain(`kdp_activator_cold_start_phase_seconds_count{${labels},phase="${phase}"} 1`);
    }
    expect(text).toContain(`kdp_activator_cold_start_seconds_count{${labels}} 1`);
    expect(text).toContain(`kdp_activator_requests_total{${labels},http_response_status_code="200"} 1`);
    expect(text).toContain(`kn_revision_request_queued{${labels}} 0`);
    // A warm request adds no cold start.
    await request(f);
    expect(await f.registry.metrics()).toContain(`kdp_activator_cold_start_seconds_count{${labels}} 1`);
  });
});

describe('throttling and load balancing over real sockets', () => {
  it('cc=1, 3 pods: one request per pod; a waiter goes to whichever pod frees up first', async () => {
    const f = await setup({ containerConcurrency: 1 }, { pods: 3 });
    for (const p of f.pods) {
      p.hold = true;
      p.setReady();
      start(f, p);
    }
    await until(() => throttler(f).readyPods === 3);
    const held = [request(f), request(f), request(f)];
    await Promise.all(f.pods.map((p) => p.waitForRequests(1)));
    const waiter = request(f);
    await until(() => throttler(f).queued === 1);
    f.pods[1]!.releaseOne();
    await f.pods[1]!.waitForRequests(2);
    expect(f.pods.map((p) => p.requests.length)).toEqual([1, 2, 1]);
    for (const p of f.pods) {
      p.hold = false;
      p.releaseAll();
    }
    const results = await Promise.all([...held, waiter]);
    expect(results.every((r) => r.status === 200)).toBe(true);
    for (const p of f.pods) expect(p.maxInFlight).toBe(1);
  });

  it('cc=1, 3 pods under load: never 2 at once on a pod, never a waiter while a pod is free', async () => {
    const f = await setup({ containerConcurrency: 1 }, { pods: 3 });
    f.pods.forEach((p, i) => {
      p.delayMs = 2 + 3 * i;
      p.setReady();
      start(f, p);
    });
    await until(() => throttler(f).readyPods === 3);
    const t = throttler(f);
    let violations = 0;
    let waited = 0;
    let sampling = true;
    const sample = (): void => {
      if (t.queued > 0) waited++;
      if (t.queued > 0 && t.pods().some((p) => p.inFlight < 1)) violations++;
      if (sampling) setImmediate(sample);
    };
    sample();
    const results = await Promise.all(Array.from({ length: 60 }, () => request(f)));
    sampling = false;
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(violations).toBe(0);
    expect(waited).toBeGreaterThan(0); // the load did make requests wait
    for (const p of f.pods) {
      expect(p.maxInFlight).toBe(1);
      expect(p.requests.length).toBeGreaterThan(0);
    }
  });

  it('answers 503 with Retry-After once the buffer is full', async () => {
    const f = await setup({ containerConcurrency: 1 }, { options: { maxBuffered: 2 } });
    const buffered = [request(f), request(f)];
    await until(() => throttler(f).queued === 2);
    const res = await request(f);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['x-kdp-error']).toBe('overloaded');
    expect(res.body).toBe('pending request queue full\n');
    f.act.revisions.remove(KEY);
    expect((await Promise.all(buffered)).map((r) => r.status)).toEqual([404, 404]);
  });

  it('answers 504 `activator request timeout` when buffered beyond the revision timeout', async () => {
    const f = await setup({ containerConcurrency: 0, timeoutSeconds: 0.2 });
    const t0 = performance.now();
    const res = await request(f);
    expect(res.status).toBe(504);
    expect(res.body).toBe('activator request timeout');
    expect(res.headers['x-kdp-error']).toBe('timeout');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(throttler(f).queued).toBe(0);
    expect(await f.registry.metrics()).toContain('http_response_status_code="504"} 1');
  });

  it('forgets a buffered request whose client went away', async () => {
    const f = await setup({ containerConcurrency: 1 }, { pods: 1 });
    const req = http.request({ host: '127.0.0.1', port: f.port, headers: REV_HEADERS, agent: false });
    req.on('error', () => {});
    req.end();
    await until(() => throttler(f).queued === 1);
    req.destroy();
    await until(() => throttler(f).queued === 0);
    const pod = f.pods[0]!;
    pod.setReady();
    start(f, pod);
    expect((await request(f)).status).toBe(200);
    expect(pod.requests.length).toBe(1);
  });

  it('answers 502 when the pod fails after the request was sent, and does not retry it', async () => {
    const f = await setup({ containerConcurrency: 0 }, { pods: 1 });
    const pod = f.pods[0]!;
    pod.setReady();
    start(f, pod);
    await until(() => throttler(f).readyPods === 1);
    await pod.close(); // refused from now on
    const res = await request(f);
    expect(res.status).toBe(502);
    expect(res.headers['x-kdp-error']).toBe('upstream-unreachable');
    expect(res.body).toMatch(/connection refused/);
  });

  it('takes a stopping pod out of load balancing at once', async () => {
    const f = await setup({ containerConcurrency: 0 }, { pods: 2, options: { rng: () => 0 } });
    for (const p of f.pods) {
      p.setReady();
      start(f, p);
    }
    await until(() => throttler(f).readyPods === 2);
    f.act.revisions.podStopping(KEY, f.pods[0]!.id);
    for (let i = 0; i < 5; i++) expect((await request(f)).status).toBe(200);
    expect(f.pods[0]!.requests.length).toBe(0);
    expect(f.pods[1]!.requests.length).toBe(5);
  });
});

describe('what the pod receives', () => {
  it('Host = pod address, K-Original-Host = client Host, K-Proxy-Request: activator; revision headers removed', async () => {
    const f = await setup({ containerConcurrency: 0 }, { pods: 1 });
    const pod = f.pods[0]!;
    pod.setReady();
    start(f, pod);
    await until(() => throttler(f).readyPods === 1);
    const res = await request(f, {
      ...REV_HEADERS,
      Host: 'hello.default.example.com',
      'K-Proxy-Request': 'someone-else',
      'K-Network-Hash': 'abc',
      'X-Forwarded-For': '203.0.113.9',
    });
    expect(res.status).toBe(200);
    const got = JSON.parse(res.body) as { host: string; headers: Record<string, string> };
    expect(got.host).toBe(`127.0.0.1:${String(pod.port)}`);
    expect(got.headers['k-original-host']).toBe('hello.default.example.com');
    expect(got.headers['k-proxy-request']).toBe('activator');
    expect(got.headers['knative-serving-revision']).toBeUndefined();
    expect(got.headers['knative-serving-namespace']).toBeUndefined();
    expect(got.headers['k-network-hash']).toBeUndefined();
    expect(got.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
  });

  it('keeps a K-Original-Host the client already set (Knative RewriteHostIn)', async () => {
    const f = await setup({ containerConcurrency: 0 }, { pods: 1 });
    const pod = f.pods[0]!;
    pod.setReady();
    start(f, pod);
    await until(() => throttler(f).readyPods === 1);
    const res = await request(f, { ...REV_HEADERS, Host: 'inner.example', 'K-Original-Host': 'outer.example' });
    const got = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(got.headers['k-original-host']).toBe('outer.example');
  });

  it('in-process: handle(ex, revKey) serves without revision headers', async () => {
    const f = await setup({ containerConcurrency: 1 }, { pods: 1, inProcess: true });
    const pod = f.pods[0]!;
    pod.setReady();
    start(f, pod);
    const res = await request(f, { Host: 'hello.example.com' });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { headers: Record<string, string> }).headers['k-original-host']).toBe('hello.example.com');
  });
});

describe('revision lookup, probes and health', () => {
  it.each([
    { name: 'unknown revision header', headers: { 'Knative-Serving-Namespace': 'ns', 'Knative-Serving-Revision': 'nope' }, body: 'nope' },
    { name: 'no revision at all', headers: {}, body: '' },
    { name: 'host of another cluster domain', headers: { Host: 'rev.ns.svc.example.com' }, body: '' },
  ])('404 not-found: $name', async ({ headers, body }) => {
    const f = await setup({ containerConcurrency: 0 });
    const res = await request(f, headers);
    expect(res.status).toBe(404);
    expect(res.headers['x-kdp-error']).toBe('not-found');
    expect(res.body).toBe(`Error getting active endpoint: revision.serving.knative.dev "${body}" not found\n`);
  });

  it('in-process: an unknown revision key is 404 too', async () => {
    const f = await setup({ containerConcurrency: 0 }, { inProcess: true });
    f.act.revisions.remove(KEY);
    const res = await request(f, {});
    expect(res.status).toBe(404);
    expect(res.body).toContain('"rev" not found');
  });

  it('finds the revision from the Host `<rev>.<ns>.svc.<cluster-domain>`', async () => {
    const f = await setup({ containerConcurrency: 0 }, { pods: 1 });
    const pod = f.pods[0]!;
    pod.setReady();
    start(f, pod);
    expect((await request(f, { Host: 'rev.ns.svc.cluster.local:80' })).status).toBe(200);
  });

  it.each([
    { headers: { 'K-Network-Probe': 'activator' }, status: 200, body: 'activator' },
    { headers: { 'K-Network-Probe': 'queue' }, status: 400, body: 'unexpected probe header value: "queue"\n' },
    { headers: { 'K-Network-Probe': 'probe' }, status: 400, body: 'a probe request must contain a non-empty "K-Network-Hash" header\n' },
    { headers: { 'K-Network-Probe': 'probe', 'K-Network-Hash': 'h1' }, status: 200, body: '', hash: 'h1' },
    { headers: { 'User-Agent': 'kube-probe/1.31' }, status: 200, body: '' },
    { headers: { 'K-Kubelet-Probe': 'yes' }, status: 200, body: '' },
  ])('probe $headers → $status', async ({ headers, status, body, hash }) => {
    // No revision headers: probes are answered before the revision lookup.
    const f = await setup({ containerConcurrency: 0 });
    const res = await request(f, headers);
    expect([res.status, res.body]).toEqual([status, body]);
    if (hash !== undefined) expect(res.headers['k-network-hash']).toBe(hash);
  });

  it('health checks answer 503 once draining; requests are still served', async () => {
    const f = await setup({ containerConcurrency: 0 }, { pods: 1 });
    const pod = f.pods[0]!;
    pod.setReady();
    start(f, pod);
    f.act.drain();
    const res = await request(f, { 'User-Agent': 'kube-probe/1.31' });
    expect([res.status, res.body, res.headers['x-kdp-error']]).toEqual([503, 'shutting down\n', 'draining']);
    expect((await request(f)).status).toBe(200);
  });

  it('reports concurrency with buffered time to the autoscaler every period', async () => {
    const f = await setup({ containerConcurrency: 0 }, { pods: 1, options: { reportIntervalMs: 50 } });
    f.act.start();
    const pod = f.pods[0]!;
    const pending = request(f);
    await until(() => f.reports.some(([, s]) => s.concurrency > 0));
    pod.setReady();
    start(f, pod);
    expect((await pending).status).toBe(200);
    expect(f.reports.every(([k]) => k === KEY)).toBe(true);
  });
});
