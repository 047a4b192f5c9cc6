/**
 * The activator in cluster mode, in process, against a fake Kubernetes API server and a fake autoscaler that both
 * speak the real wire protocols, with fake queue-proxies on real sockets.
 */
import http from 'node:http';
import { createLogger } from '@kdp/core';
import { FakeKubeApi, kubeconfigFor } from '@kdp/kube/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { REVISION_LABEL, SERVICE_TYPE_LABEL } from './kube-source.js';
import { startActivator } from './run.js';
import type { StandaloneActivator } from './run.js';
import { FakeAutoscaler } from './testing/fake-autoscaler.js';
import { startFakeQueueProxy } from './testing/fake-queue-proxy.js';
import type { FakeQueueProxy } from './testing/fake-queue-proxy.js';

const REVISIONS = '/apis/serving.knative.dev/v1/revisions';
const ENDPOINTS = '/api/v1/endpoints';
const SLICES = '/apis/discovery.k8s.io/v1/endpointslices';
const TOKEN = 'test-token';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Res {
  status: number;
  body: string;
}

function get(port: number, headers: http.OutgoingHttpHeaders, path = '/'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const rev = (name: string): http.OutgoingHttpHeaders => ({ 'Knative-Serving-Namespace': 'ns', 'Knative-Serving-Revision': name });
const KUBELET = { 'User-Agent': 'kube-probe/1.31' };

function revision(name: string, cc: number): { metadata: { name: string; namespace: string }; spec: Record<string, number> } {
  return { metadata: { name, namespace: 'ns' }, spec: { containerConcurrency: cc, timeoutSeconds: 30 } };
}

function privateEndpoints(name: string, ready: readonly FakeQueueProxy[], notReady: readonly FakeQueueProxy[] = []): {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  subsets: unknown[];
} {
  return {
    metadata: { name: `${name}-private`, namespace: 'ns', labels: { [SERVICE_TYPE_LABEL]: 'Private', [REVISION_LABEL]: name } },
    subsets: [
      ...ready.map((p) => ({ addresses: [{ ip: p.host }], ports: [{ name: 'http', port: p.port }] })),
      ...notReady.map((p) => ({ notReadyAddresses: [{ ip: p.host }], ports: [{ name: 'http', port: p.port }] })),
    ],
  };
}

function publicEndpoints(name: string, activatorIps: readonly string[]): {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  subsets: unknown[];
} {
  return {
    metadata: { name, namespace: 'ns', labels: { [SERVICE_TYPE_LABEL]: 'Public', [REVISION_LABEL]: name } },
    subsets: [{ addresses: activatorIps.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8012 }] }],
  };
}

interface Setup {
  api: FakeKubeApi;
  scaler: FakeAutoscaler;
  act: StandaloneActivator;
  port: number;
}

async function setup(opts: { podIp?: string; slices?: boolean; kubeBackoffMs?: number; autoscalerUrl?: string } = {}): Promise<Setup> {
  const api = new FakeKubeApi({ token: TOKEN });
  await api.listen();
  cleanups.push(() => api.close());
  if (opts.slices !== true) api.forbid(SLICES); // Knative's activator ClusterRole has no endpointslices
  const scaler = await FakeAutoscaler.start();
  cleanups.push(() => scaler.close());
  const kubeconfig = kubeconfigFor(api.url, TOKEN);
  const config = parseConfig(
    {
      POD_NAME: 'activator-abc',
      POD_IP: opts.podIp ?? '10.0.0.1',
      SYSTEM_NAMESPACE: 'knative-serving',
      KUBECONFIG: '/kubeconfig',
      KDP_AUTOSCALER_URL: opts.autoscalerUrl ?? scaler.url,
      KDP_ACTIVATOR_PORT: '0',
      KDP_ACTIVATOR_H2C_PORT: '0',
      KDP_ACTIVATOR_METRICS_PORT: '0',
      KDP_ACTIVATOR_BIND_HOST: '127.0.0.1',
      KDP_ACTIVATOR_DRAIN_MS: '0',
      KDP_ACTIVATOR_SHUTDOWN_GRACE_MS: '2000',
      CLUSTER_DOMAIN: 'cluster.local',
    },
    { readFile: (p) => (p === '/kubeconfig' ? kubeconfig : '') },
  );
  const act = await startActivator(config, createLogger({ name: 'activator-test', level: 'silent' }), {
    kubeInitialBackoffMs: opts.kubeBackoffMs ?? 20,
  });
  cleanups.push(() => act.shutdown());
  return { api, scaler, act, port: act.ports.serving };
}

async function pod(id: string, ready = true): Promise<FakeQueueProxy> {
  const p = await startFakeQueueProxy(id);
  cleanups.push(() => p.close());
  if (ready) p.setReady();
  return p;
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function readyProbe(port: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await get(port, KUBELET)).status === 200) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('activator never became Ready');
}

describe('activator in cluster mode', () => {
  it('is not Ready until the autoscaler websocket is connected, then Ready; watches Endpoints when EndpointSlices are forbidden', async () => {
    const parked = await FakeAutoscaler.start();
    const url = parked.url;
    const portOfScaler = parked.port;
    await parked.close();
    const { act, port } = await setup({ autoscalerUrl: url });
    const before = await get(port, KUBELET);
    expect(before).toEqual({ status: 500, body: 'connection has not yet been established\n' });
    const scaler = await FakeAutoscaler.start(portOfScaler);
    cleanups.push(() => scaler.close());
    await readyProbe(port);
    expect(act.cluster?.source?.endpointsApi).toBe('Endpoints');
    const metrics = await get(act.ports.metrics, {}, '/metrics');
    expect(metrics.body).toContain('kn_activator_stats_conn_reachable{peer="autoscaler"} 1');
  });

  it('buffers a request for a revision with no endpoints, pokes the autoscaler at once, and answers when a ready address appears', async () => {
    const { api, scaler, port } = await setup();
    api.apply(REVISIONS, revision('hello-00001', 0));
    await readyProbe(port);
    const p1 = await pod('p1');
    const pending = get(port, rev('hello-00001'), '/cold');
    const poke = await scaler.waitFor((s) => s.name === 'hello-00001');
    expect(poke).toMatchObject({ namespace: 'ns', stat: { podName: 'activator-abc', averageConcurrentRequests: 1, requestCount: 1, timestamp: 0 } });
    expect(p1.requests).toHaveLength(0);
    api.apply(ENDPOINTS, privateEndpoints('hello-00001', [p1]));
    const res = await pending;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ pod: 'p1', path: '/cold' });
    // The 1 s report follows as its own batch, with the poke's request subtracted (Knative firstRequest adjustment).
    const report = await scaler.waitFor((s) => s.name === 'hello-00001' && s.batch > poke.batch);
    expect(report.stat.podName).toBe('activator-abc');
    expect(report.stat.requestCount).toBe(0);
  });

  it('a removed address gets no new traffic, in the same watch event', async () => {
    const { api, act, port } = await setup();
    api.apply(REVISIONS, revision('r', 1));
    const [a, b] = [await pod('a'), await pod('b')];
    api.apply(ENDPOINTS, privateEndpoints('r', [a, b]));
    await readyProbe(port);
    await until('both pods ready', () => act.activator.revisions.get('ns/r')?.throttler.readyPods === 2);
    api.apply(ENDPOINTS, privateEndpoints('r', [b]));
    await until('pod a removed', () => act.activator.revisions.get('ns/r')?.throttler.readyPods === 1);
    const before = a.requests.length;
    for (let i = 0; i < 10; i++) expect((await get(port, rev('r'))).status).toBe(200);
    expect(a.requests.length).toBe(before);
    expect(b.requests.length).toBeGreaterThanOrEqual(10);
  });

  it('a revision deleted while requests are buffered answers them 404 instead of leaving them hanging', async () => {
    const { api, act, port } = await setup();
    api.apply(REVISIONS, revision('gone', 1));
    await readyProbe(port);
    await until('revision known', () => act.activator.revisions.get('ns/gone') !== undefined);
    const pending = [get(port, rev('gone')), get(port, rev('gone'))];
    await until('both buffered', () => act.activator.revisions.get('ns/gone')?.throttler.queued === 2);
    api.delete(REVISIONS, 'ns', 'gone');
    for (const r of await Promise.all(pending)) {
      expect(r).toEqual({ status: 404, body: 'Error getting active endpoint: revision.serving.knative.dev "gone" not found\n' });
    }
  });

  it('looks up a revision the watch has not delivered yet instead of refusing it; 404 only when the API says NotFound', async () => {
    const { api, port } = await setup({ kubeBackoffMs: 60_000 });
    await readyProbe(port);
    const p = await pod('p');
    api.dropWatches(); // the informers now wait out a long backoff
    api.apply(REVISIONS, revision('fresh', 0));
    api.apply(ENDPOINTS, privateEndpoints('fresh', [p]));
    const gets = (): number => api.requests.filter((r) => r.path === '/apis/serving.knative.dev/v1/namespaces/ns/revisions/fresh').length;
    // The revision is known after the lookup; its endpoints arrive when the endpoints watch resumes, so the request
    // waits buffered until then.
    const pending = get(port, rev('fresh'));
    await until('looked up', () => gets() === 1);
    expect((await get(port, rev('missing'))).status).toBe(404);
    api.forbid(REVISIONS);
    const forbidden = await get(port, rev('other'));
    expect(forbidden.status).toBe(500);
    expect(forbidden.body).toMatch(/^Error getting active endpoint: GET \/apis\/serving\.knative\.dev\/v1\/namespaces\/ns\/revisions\/other: 403 Forbidden/);
    api.allow(REVISIONS);
    expect(await Promise.race([pending.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 200))])).toBe('waiting');
    pending.catch(() => undefined);
  });

  it('watches EndpointSlices when allowed, merging the slices of one service', async () => {
    const { api, act, port } = await setup({ slices: true });
    api.apply(REVISIONS, revision('s', 1));
    const [a, b] = [await pod('a'), await pod('b')];
    const slice = (name: string, p: FakeQueueProxy, ready: boolean): Record<string, unknown> & { metadata: { name: string; namespace: string; labels: Record<string, string> } } => ({
      metadata: { name, namespace: 'ns', labels: { [SERVICE_TYPE_LABEL]: 'Private', [REVISION_LABEL]: 's', 'kubernetes.io/service-name': 's-private' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [p.host], conditions: { ready } }],
      ports: [{ name: 'http', port: p.port }],
    });
    api.apply(SLICES, slice('s-private-x1', a, true));
    api.apply(SLICES, slice('s-private-x2', b, true));
    await readyProbe(port);
    expect(act.cluster?.source?.endpointsApi).toBe('EndpointSlices');
    await until('both slices merged', () => act.activator.revisions.get('ns/s')?.throttler.readyPods === 2);
    api.delete(SLICES, 'ns', 's-private-x1');
    await until('slice gone', () => act.activator.revisions.get('ns/s')?.throttler.readyPods === 1);
    expect((await get(port, rev('s'))).status).toBe(200);
    expect(b.requests).toHaveLength(1);
  });

  it('subsetting: listed second of two activators, it takes only its slice of the pods for cc > 0', async () => {
    const { api, act, port } = await setup({ podIp: '10.0.0.2' });
    api.apply(REVISIONS, revision('sub', 1));
    const pods = [await pod('p0'), await pod('p1'), await pod('p2'), await pod('p3')];
    api.apply(ENDPOINTS, privateEndpoints('sub', pods));
    await readyProbe(port);
    await until('all four pods', () => act.activator.revisions.get('ns/sub')?.throttler.readyPods === 4);
    api.apply(ENDPOINTS, publicEndpoints('sub', ['10.0.0.1', '10.0.0.2']));
    await until('half the pods', () => act.activator.revisions.get('ns/sub')?.throttler.readyPods === 2);
    const sorted = pods.map((p) => `${p.host}:${String(p.port)}`).sort();
    const mine = act.activator.revisions.get('ns/sub')?.throttler.pods().map((t) => t.podId).sort();
    expect(mine).toEqual(sorted.slice(2, 4));
    expect(act.activator.revisions.get('ns/sub')?.throttler.capacity).toBe(2);
    // Public endpoints that do not list this activator change nothing (throttler.go handlePubEpsUpdate).
    api.apply(ENDPOINTS, publicEndpoints('sub', ['10.0.0.7']));
    api.apply(ENDPOINTS, publicEndpoints('sub', ['10.0.0.2']));
    await until('all pods again as the only activator', () => act.activator.revisions.get('ns/sub')?.throttler.readyPods === 4);
  });
});
