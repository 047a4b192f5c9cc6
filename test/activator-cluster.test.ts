/**
 * The kdp-activator binary in cluster mode, end to end: a real process configured only as Knative's activator
 * Deployment configures it (plus KUBECONFIG and KDP_AUTOSCALER_URL, since no cluster runs here), a fake Kubernetes
 * API server and a fake autoscaler speaking the real protocols, and real kdp-queue-proxy processes in front of the
 * real sample app as the revision's pods. Everything on 127.0.0.1.
 */
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { FakeAutoscaler } from '@kdp/activator/testing';
import { FakeKubeApi, kubeconfigFor } from '@kdp/kube/testing';
import { startSampleApp } from '@kdp/sample-app';
import type { SampleApp } from '@kdp/sample-app';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, ROOT, spawnNode, startQueueProxy } from './helpers/process.js';
import type { Proc, QueueProxyProc } from './helpers/process.js';

const ACTIVATOR_BIN = path.join(ROOT, 'packages/activator/bin/kdp-activator.js');
const REVISIONS = '/apis/serving.knative.dev/v1/revisions';
const ENDPOINTS = '/api/v1/endpoints';
const SLICES = '/apis/discovery.k8s.io/v1/endpointslices';
const TYPE = 'networking.internal.knative.dev/serviceType';
const REV = 'serving.knative.dev/revision';
const TOKEN = 'e2e-token';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Res {
  readonly status: number;
  readonly body: string;
}

function request(port: number, headers: http.OutgoingHttpHeaders, pathAndQuery = '/', agent: http.Agent | false = false): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathAndQuery, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const forRev = (name: string): http.OutgoingHttpHeaders => ({ 'Knative-Serving-Namespace': 'default', 'Knative-Serving-Revision': name });

function revision(name: string, cc: number): { metadata: { name: string; namespace: string }; spec: Record<string, number> } {
  return { metadata: { name, namespace: 'default' }, spec: { containerConcurrency: cc, timeoutSeconds: 60 } };
}

function privateEndpoints(name: string, pods: readonly QueueProxyProc[]): { metadata: { name: string; namespace: string; labels: Record<string, string> }; subsets: unknown[] } {
  return {
    metadata: { name: `${name}-private`, namespace: 'default', labels: { [TYPE]: 'Private', [REV]: name } },
    subsets: pods.map((p) => ({ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'http', port: p.ports.serving }] })),
  };
}

interface World {
  api: FakeKubeApi;
  scaler: FakeAutoscaler;
  activator: Proc;
  port: number;
  h2cPort: number;
  metricsPort: number;
}

async function world(env: NodeJS.ProcessEnv = {}): Promise<World> {
  const api = new FakeKubeApi({ token: TOKEN });
  await api.listen();
  cleanups.push(() => api.close());
  api.forbid(SLICES); // Knative's activator ClusterRole grants endpoints, not endpointslices
  const scaler = await FakeAutoscaler.start();
  cleanups.push(() => scaler.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdp-activator-e2e-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigFor(api.url, TOKEN));
  const activator = spawnNode([ACTIVATOR_BIN], {
    PATH: process.env.PATH,
    // What Knative's activator Deployment sets (config/core/deployments/activator.yaml) ...
    POD_NAME: 'activator-7d9f-abcde',
    POD_IP: '10.0.0.1',
    SYSTEM_NAMESPACE: 'knative-serving',
    CONFIG_LOGGING_NAME: 'config-logging',
    CONFIG_OBSERVABILITY_NAME: 'config-observability',
    // ... and what stands in for the cluster.
    KUBECONFIG: kubeconfig,
    KDP_AUTOSCALER_URL: scaler.url,
    CLUSTER_DOMAIN: 'cluster.local',
    KDP_ACTIVATOR_PORT: '0',
    KDP_ACTIVATOR_H2C_PORT: '0',
    KDP_ACTIVATOR_METRICS_PORT: '0',
    KDP_ACTIVATOR_BIND_HOST: '127.0.0.1',
    ...env,
  });
  const ready = await Promise.race([
    activator.waitForLog((l) => l.msg === 'activator ready'),
    activator.exited.then(({ code }) => {
      throw new Error(`activator exited ${String(code)}: ${activator.stderr}`);
    }),
  ]);
  const ports = ready.ports as { serving: number; h2c: number; metrics: number };
  expect(ready).toMatchObject({ mode: 'kubernetes', credentials: 'kubeconfig', autoscaler: scaler.url });
  return { api, scaler, activator, port: ports.serving, h2cPort: ports.h2c, metricsPort: ports.metrics };
}

async function app(target: string): Promise<SampleApp> {
  const a = await startSampleApp({ port: 0, host: '127.0.0.1', target, closeGraceMs: 100 });
  cleanups.push(() => a.close());
  return a;
}

async function pod(target: string, revisionName: string): Promise<QueueProxyProc> {
  const a = await app(target);
  return startQueueProxy(a.port, { SERVING_REVISION: revisionName, SERVING_POD: `${revisionName}-${target}` });
}

const KUBELET = { 'User-Agent': 'kube-probe/1.31' };

async function untilReady(port: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if ((await request(port, KUBELET)).status === 200) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('activator never became Ready');
}

/**
 * Endpoint events are applied in order on one watch stream: once a request for a marker revision whose endpoints
 * were applied last is served, every earlier endpoints change has been applied too.
 */
let markers = 0;
async function barrier(w: World, via: QueueProxyProc): Promise<void> {
  const name = `marker-${String(++markers)}`;
  w.api.apply(REVISIONS, revision(name, 0));
  w.api.apply(ENDPOINTS, privateEndpoints(name, [via]));
  const res = await request(w.port, forRev(name));
  expect(res.status).toBe(200);
}

async function servedBy(w: World, name: string, n: number): Promise<Record<string, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const answers = await Promise.all(Array.from({ length: n }, () => request(w.port, forRev(name), '/', agent)));
    const counts: Record<string, number> = {};
    for (const a of answers) {
      expect(a.status).toBe(200);
      counts[a.body] = (counts[a.body] ?? 0) + 1;
    }
    return counts;
  } finally {
    agent.destroy();
  }
}

describe('kdp-activator on a (fake) Knative cluster', () => {
  it('exits 1 with one stderr line per missing piece of Knative\'s environment', async () => {
    const proc = spawnNode([ACTIVATOR_BIN], { PATH: process.env.PATH, HOME: '/nonexistent', POD_IP: 'x', KDP_AUTOSCALER_URL: 'http://a' });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    const lines = proc.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^POD_NAME: required in cluster mode/),
      'POD_IP: not an IP address: "x"',
      expect.stringMatching(/^SYSTEM_NAMESPACE: required in cluster mode/),
      'KDP_AUTOSCALER_URL: want a ws:// or wss:// URL, got "http://a"',
      'KUBERNETES_SERVICE_HOST: not set (not in a cluster) and no kubeconfig at /nonexistent/.kube/config; set KUBECONFIG',
    ]);
  });

  it('buffers and pokes, serves when endpoints turn ready, stops using a removed address, and loses no change across a dropped or expired watch', async () => {
    const w = await world();
    await untilReady(w.port);
    w.api.apply(REVISIONS, revision('hello-00001', 0));
    const one = await pod('one', 'hello-00001');
    const two = await pod('two', 'hello-00001');

    // No endpoints yet: the request waits, and the autoscaler hears about it at once.
    const cold = request(w.port, forRev('hello-00001'));
    const poke = await w.scaler.waitFor((s) => s.name === 'hello-00001');
    expect(poke).toMatchObject({ namespace: 'default', stat: { podName: 'activator-7d9f-abcde', averageConcurrentRequests: 1, requestCount: 1 } });
    w.api.apply(ENDPOINTS, privateEndpoints('hello-00001', [one]));
    expect(await cold).toEqual({ status: 200, body: 'Hello one!\n' });

    // Both pods, then `two` removed: no new request reaches it.
    w.api.apply(ENDPOINTS, privateEndpoints('hello-00001', [one, two]));
    // `two` joins once the activator's probe of its queue-proxy passes, shortly after the event.
    let seen: string[] = [];
    for (let i = 0; i < 100 && seen.length < 2; i++) seen = Object.keys(await servedBy(w, 'hello-00001', 10)).sort();
    expect(seen).toEqual(['Hello one!\n', 'Hello two!\n']);
    w.api.apply(ENDPOINTS, privateEndpoints('hello-00001', [one]));
    await barrier(w, one);
    expect(await servedBy(w, 'hello-00001', 20)).toEqual({ 'Hello one!\n': 20 });

    // The watch connection drops; while it is down, `one` is swapped for `two`. The resumed watch delivers it.
    const watchesBefore = w.api.requests.filter((r) => r.path === ENDPOINTS && r.query.get('watch') === '1').length;
    w.api.dropWatches();
    w.api.apply(ENDPOINTS, privateEndpoints('hello-00001', [two]));
    await barrier(w, two);
    expect(await servedBy(w, 'hello-00001', 20)).toEqual({ 'Hello two!\n': 20 });
    const resumed = w.api.requests.filter((r) => r.path === ENDPOINTS && r.query.get('watch') === '1').slice(watchesBefore);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    expect(w.api.requests.filter((r) => r.path === ENDPOINTS && r.query.get('watch') !== '1').length).toBe(1); // resumed, not re-listed

    // Dropped again and the version compacted away meanwhile (410 Gone): the re-list still brings the change.
    w.api.dropWatches();
    w.api.apply(ENDPOINTS, privateEndpoints('hello-00001', [one]));
    w.api.compact();
    await barrier(w, one);
    expect(await servedBy(w, 'hello-00001', 20)).toEqual({ 'Hello one!\n': 20 });
    expect(w.api.requests.filter((r) => r.path === ENDPOINTS && r.query.get('watch') !== '1').length).toBe(2);

    // Stats keep flowing: a 1 s report batch for the revision, decoded with stat.proto's field numbers.
    const report = await w.scaler.waitFor((s) => s.name === 'hello-00001' && s.batch > poke.batch && s.stat.requestCount > 0);
    expect(report.stat.podName).toBe('activator-7d9f-abcde');
    expect(w.scaler.rejected).toEqual([]);
  });

  it('serves h2c with prior knowledge on its second listener (Knative\'s 8013), h2c through the queue-proxy to an h2c app', async () => {
    const w = await world();
    await untilReady(w.port);
    w.api.apply(REVISIONS, revision('grpc-00001', 0));
    // An h2c user container (a gRPC-style app): HTTP/2 in at the activator, h2c on every hop, as Knative does.
    const h2app = http2.createServer((req, res) => res.end(`h2 ${String(req.url)} via ${String(req.headers['k-proxy-request'])}\n`));
    await new Promise<void>((r) => h2app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => h2app.close(() => r())));
    const appPort = (h2app.address() as { port: number }).port;
    const p = await startQueueProxy(appPort, { SERVING_REVISION: 'grpc-00001', SERVING_POD: 'grpc-00001-pod' });
    w.api.apply(ENDPOINTS, privateEndpoints('grpc-00001', [p]));
    expect(w.h2cPort).toBeGreaterThan(0);
    expect(w.h2cPort).not.toBe(w.port);
    const session = http2.connect(`http://127.0.0.1:${String(w.h2cPort)}`);
    try {
      const res = await new Promise<Res>((resolve, reject) => {
        const req = session.request({ ':path': '/rpc', 'knative-serving-namespace': 'default', 'knative-serving-revision': 'grpc-00001' });
        let status = 0;
        let body = '';
        req.on('response', (h) => (status = Number(h[':status'])));
        req.setEncoding('utf8');
        req.on('data', (d: string) => (body += d));
        req.on('end', () => resolve({ status, body }));
        req.on('error', reject);
        req.end();
      });
      // K-Proxy-Request reaches the app only if the queue-proxy passes it; the path proves the hop chain.
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/^h2 \/rpc via /);
    } finally {
      await new Promise<void>((r) => session.close(() => r()));
    }
  });

  it('answers the buffered requests of a revision deleted mid-flight with an error, not a hang', async () => {
    const w = await world();
    await untilReady(w.port);
    w.api.apply(REVISIONS, revision('doomed-00001', 1));
    const pending = [1, 2, 3].map(() => request(w.port, forRev('doomed-00001')));
    await w.scaler.waitFor((s) => s.name === 'doomed-00001');
    for (let i = 0; i < 500; i++) {
      const m = await request(w.metricsPort, {}, '/metrics');
      if (m.body.includes('kn_revision_request_queued{k8s_namespace_name="default",kn_revision_name="doomed-00001"} 3')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    w.api.delete(REVISIONS, 'default', 'doomed-00001');
    for (const r of await Promise.all(pending)) {
      expect(r).toEqual({ status: 404, body: 'Error getting active endpoint: revision.serving.knative.dev "doomed-00001" not found\n' });
    }
  });

  it('SIGTERM under load: probes fail at once, every accepted request (buffered ones included) is answered, then exit 0', async () => {
    const w = await world({ KDP_ACTIVATOR_DRAIN_MS: '1500', KDP_ACTIVATOR_SHUTDOWN_GRACE_MS: '20000' });
    await untilReady(w.port);
    w.api.apply(REVISIONS, revision('busy-00001', 0));
    w.api.apply(REVISIONS, revision('cold-00001', 0));
    const busy = await pod('busy', 'busy-00001');
    const cold = await pod('cold', 'cold-00001');
    w.api.apply(ENDPOINTS, privateEndpoints('busy-00001', [busy]));
    await barrier(w, busy);

    // Requests buffered for a revision with no pod when SIGTERM arrives.
    const buffered = Array.from({ length: 5 }, () => request(w.port, forRev('cold-00001')));
    await w.scaler.waitFor((s) => s.name === 'cold-00001');

    // Closed-loop load on the warm revision, 10 workers; a worker stops issuing once kubelet would see NotReady
    // (the endpoints controller then stops sending traffic to this activator).
    let draining = false;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
    const results: Res[] = [];
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 400 && !draining; i++) results.push(await request(w.port, forRev('busy-00001'), '/?sleep=5', agent));
    };
    const workers = Array.from({ length: 10 }, () => worker());
    while (results.length < 50) await new Promise((r) => setTimeout(r, 5));
    w.activator.kill('SIGTERM');
    for (let i = 0; i < 1000 && !draining; i++) {
      const probe = await request(w.port, KUBELET);
      if (probe.status !== 200) {
        expect(probe.status).toBe(500);
        draining = true;
      }
    }
    expect(draining).toBe(true);
    // During the drain period the endpoints of the cold revision arrive: its buffered requests are served.
    w.api.apply(ENDPOINTS, privateEndpoints('cold-00001', [cold]));
    await Promise.all(workers);
    agent.destroy();
    for (const r of await Promise.all(buffered)) expect(r).toEqual({ status: 200, body: 'Hello cold!\n' });
    expect(results.length).toBeGreaterThanOrEqual(50);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const { code } = await w.activator.exited;
    expect(code).toBe(0);
  });
});
