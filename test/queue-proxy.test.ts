/**
 * The kdp-queue-proxy binary end to end: a real process, configured only through Knative's environment, in front
 * of the real sample app, on 127.0.0.1.
 */
import http from 'node:http';
import http2 from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeStat } from '@kdp/core';
import { startSampleApp } from '@kdp/sample-app';
import type { SampleApp } from '@kdp/sample-app';
import { freePorts } from './helpers/ports.js';
import { killAll, queueProxyEnv, spawnNode, startQueueProxy, QUEUE_PROXY_BIN } from './helpers/process.js';
import type { QueueProxyProc } from './helpers/process.js';
import { request, requestBuffer } from './helpers/http.js';

const apps: SampleApp[] = [];
afterEach(async () => {
  await killAll();
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function app(): Promise<SampleApp> {
  const a = await startSampleApp({ port: 0, host: '127.0.0.1', closeGraceMs: 100 });
  apps.push(a);
  return a;
}

async function setup(extra: NodeJS.ProcessEnv = {}): Promise<{ a: SampleApp; qp: QueueProxyProc }> {
  const a = await app();
  const qp = await startQueueProxy(a.port, extra);
  return { a, qp };
}

const KUBE = { 'User-Agent': 'kube-probe/1.31' };

describe('configuration', () => {
  it('exits 1 with one stderr line per missing or malformed variable', async () => {
    const env = queueProxyEnv(8080, { serving: 1, admin: 2, metrics: 3, userMetrics: 4 });
    delete env.SERVING_POD;
    env.CONTAINER_CONCURRENCY = 'ten';
    env.REVISION_TIMEOUT_SECONDS = '';
    const proc = spawnNode([QUEUE_PROXY_BIN], env);
    const { code } = await proc.exited;
    expect(code).toBe(1);
    const lines = proc.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.some((l) => l.startsWith('SERVING_POD'))).toBe(true);
    expect(lines.some((l) => l.startsWith('CONTAINER_CONCURRENCY'))).toBe(true);
    expect(lines.some((l) => l.startsWith('REVISION_TIMEOUT_SECONDS'))).toBe(true);
  });

  it('exits 1 naming the port when the serving port is taken', async () => {
    const a = await app();
    const env = queueProxyEnv(a.port, { serving: a.port, admin: 0, metrics: 0, userMetrics: 0 });
    const [admin, metrics, userMetrics] = await freePorts(3);
    Object.assign(env, { KDP_ADMIN_PORT: String(admin), KDP_METRICS_PORT: String(metrics), KDP_USER_METRICS_PORT: String(userMetrics) });
    const proc = spawnNode([QUEUE_PROXY_BIN], env);
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.stderr).toContain(String(a.port));
  });
});

describe('proxying', () => {
  it('forwards to the app with Knative header edits', async () => {
    const { qp } = await setup();
    const r = await request(qp.ports.serving, '/echo?x=1', {
      headers: {
        Host: 'activator-side.example',
        'K-Original-Host': 'hello.default.example.com',
        'Knative-Serving-Revision': 'hello-00001',
        'Knative-Serving-Namespace': 'default',
        'K-Proxy-Request': 'activator',
        'X-Forwarded-For': '10.1.2.3',
        'X-Forwarded-Proto': 'https',
        'Knative-Serving-Tag': 'blue',
      },
    });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body) as { headers: Record<string, string>; path: string; query: string };
    expect(seen.headers.host).toBe('hello.default.example.com');
    expect(seen.headers['k-original-host']).toBeUndefined();
    expect(seen.headers['knative-serving-revision']).toBeUndefined();
    expect(seen.headers['knative-serving-namespace']).toBeUndefined();
    expect(seen.headers['k-proxy-request']).toBe('activator');
    expect(seen.headers['knative-serving-tag']).toBe('blue');
    expect(seen.headers['x-forwarded-for']).toBe('10.1.2.3, 127.0.0.1');
    expect(seen.headers.forwarded).toBe('for=10.1.2.3;proto=https');
  });

  it('answers 502 with the cause header when the app is down', async () => {
    const a = await app();
    const port = a.port;
    await a.close();
    const qp = await startQueueProxy(port);
    const r = await request(qp.ports.serving, '/');
    expect(r.status).toBe(502);
    expect(r.headers['x-kdp-error']).toBe('upstream-unreachable');
    expect(r.body).toContain('connection refused');
  });

  it('tunnels websockets to the app', async () => {
    const { qp } = await setup();
    const ws = new WebSocket(`ws://127.0.0.1:${String(qp.ports.serving)}/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('ping through kdp'));
      ws.on('message', (d: Buffer) => resolve(d.toString()));
      ws.on('error', reject);
    });
    expect(reply).toBe('ping through kdp');
    ws.close();
  });

  it('serves h2c prior-knowledge clients, h2c to the app as Knative does', async () => {
    const h2app = http2.createServer((req, res) => res.end(`h2 ${req.url} ${String(req.headers['x-forwarded-for'])}`));
    await new Promise<void>((r) => h2app.listen(0, '127.0.0.1', r));
    const qp = await startQueueProxy((h2app.address() as { port: number }).port);
    const session = http2.connect(`http://127.0.0.1:${String(qp.ports.serving)}`);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const s = session.request({ ':path': '/', ':method': 'GET' });
      let b = '';
      let st = 0;
      s.on('response', (h) => (st = Number(h[':status'])));
      s.setEncoding('utf8');
      s.on('data', (d: string) => (b += d));
      s.on('end', () => resolve({ status: st, body: b }));
      s.on('error', reject);
    });
    session.close();
    h2app.close();
    expect(status).toBe(200);
    expect(body).toBe('h2 / 127.0.0.1');
  });

  it('serves HTTP/1.0 requests', async () => {
    const { qp } = await setup();
    const net = await import('node:net');
    const out = await new Promise<string>((resolve) => {
      const s = net.connect(qp.ports.serving, '127.0.0.1', () => s.write('GET / HTTP/1.0\r\n\r\n'));
      let d = '';
      s.setEncoding('latin1');
      s.on('data', (c: string) => (d += c));
      s.on('close', () => resolve(d));
    });
    expect(out).toMatch(/^HTTP\/1\.[01] 200/);
    expect(out).toContain('Hello World!');
  });
});

describe('logs', () => {
  it('logs one JSON line per request only when KDP_REQUEST_LOG is on', async () => {
    const { qp } = await setup({ KDP_REQUEST_LOG: 'true' });
    await request(qp.ports.serving, '/status/404');
    const line = await qp.waitForLog((l) => l.msg === 'request');
    expect(line).toMatchObject({ method: 'GET', target: '/status/404', status: 404, outcome: 'complete' });
    const quiet = await setup();
    await request(quiet.qp.ports.serving, '/');
    expect(quiet.qp.stdout).not.toContain('"msg":"request"');
  });
});

describe('probes', () => {
  it.each<[string, Record<string, string>, number, string]>([
    ['kubelet health check', { ...KUBE, 'K-Network-Probe': 'queue' }, 200, 'queue'],
    ['activator health check', { 'User-Agent': 'Knative-Activator-Probe', 'K-Network-Probe': 'queue' }, 200, 'queue'],
    ['health check without the probe header', KUBE, 400, 'unexpected probe header value: \n'],
    ['autoscaler probe reaching a pod', { 'User-Agent': 'Knative-Autoscaling-Probe', 'K-Network-Probe': 'activator' }, 400, 'unexpected probe header value: activator\n'],
    ['KProbe', { 'K-Network-Probe': 'probe', 'K-Network-Hash': 'abc' }, 200, ''],
    ['KProbe without hash', { 'K-Network-Probe': 'probe' }, 400, 'a probe request must contain a non-empty "K-Network-Hash" header\n'],
  ])('%s', async (_name, headers, status, body) => {
    const { qp } = await setup();
    const r = await request(qp.ports.serving, '/', { headers });
    expect(r.status).toBe(status);
    expect(r.body).toBe(body);
    if (headers['K-Network-Hash'] !== undefined) expect(r.headers['k-network-hash']).toBe('abc');
  });

  it('reports the user container unready until its readiness probe passes', async () => {
    const [userPort] = (await freePorts(1)) as [number];
    const qp = await startQueueProxy(userPort, {
      SERVING_READINESS_PROBE: JSON.stringify({ httpGet: { port: userPort, host: '127.0.0.1', path: '/' }, periodSeconds: 1, timeoutSeconds: 1 }),
    });
    const before = await request(qp.ports.serving, '/', { headers: { ...KUBE, 'K-Network-Probe': 'queue' } });
    expect(before.status).toBe(503);
    const a = await startSampleApp({ port: userPort, host: '127.0.0.1', closeGraceMs: 100 });
    apps.push(a);
    const after = await request(qp.ports.serving, '/', { headers: { ...KUBE, 'K-Network-Probe': 'queue' } });
    expect(after.status).toBe(200);
    expect(after.body).toBe('queue');
  });
});

describe('breaker', () => {
  it('admits CC at the app, queues 10·CC, and rejects the next at once with 503', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const release: (() => void)[] = [];
    const upstream = http.createServer((_req, res) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      release.push(() => {
        concurrent--;
        res.end('ok');
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    try {
      const port = (upstream.address() as { port: number }).port;
      const qp = await startQueueProxy(port, { CONTAINER_CONCURRENCY: '1' });
      const inflight = Array.from({ length: 11 }, () => request(qp.ports.serving, '/'));
      // Wait until the first reached the app, then overflow.
      while (release.length === 0) await new Promise((r) => setImmediate(r));
      const t0 = performance.now();
      const overflow = await request(qp.ports.serving, '/');
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(overflow.status).toBe(503);
      expect(overflow.body).toBe('pending request queue full\n');
      expect(overflow.headers['x-kdp-error']).toBe('queue-full');
      // Drain them one by one; the app never sees two at once.
      let done = 0;
      while (done < 11) {
        const next = release.shift();
        if (next === undefined) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        next();
        done++;
      }
      const results = await Promise.all(inflight);
      expect(results.map((r) => r.status)).toEqual(Array(11).fill(200));
      expect(maxConcurrent).toBe(1);
    } finally {
      upstream.closeAllConnections();
      upstream.close();
    }
  });
});

describe('stats and metrics', () => {
  it('serves the Stat protobuf on the metrics port, counting proxied requests apart', async () => {
    const { qp } = await setup();
    const empty = await requestBuffer(qp.ports.metrics, '/metrics');
    expect(empty.status).toBe(200);
    expect(empty.headers['content-type']).toBe('application/protobuf');
    expect(decodeStat(empty.body).podName).toBe('hello-00001-pod');
    await Promise.all([
      request(qp.ports.serving, '/'),
      request(qp.ports.serving, '/'),
      request(qp.ports.serving, '/', { headers: { 'K-Proxy-Request': 'activator' } }),
    ]);
    // The window closes every second; poll until a report with our three requests shows up.
    let stat = decodeStat(empty.body);
    const deadline = Date.now() + 3000;
    while (stat.requestCount === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      stat = decodeStat((await requestBuffer(qp.ports.metrics, '/metrics')).body);
    }
    expect(stat.requestCount).toBe(3);
    expect(stat.proxiedRequestCount).toBe(1);
    expect(stat.processUptime).toBeGreaterThan(0);
    const other = await request(qp.ports.metrics, '/other');
    expect(other.status).toBe(404);
  });

  it('exports Knative request metrics in Prometheus text', async () => {
    const { qp } = await setup({ CONTAINER_CONCURRENCY: '5' });
    await request(qp.ports.serving, '/');
    await request(qp.ports.serving, '/status/404');
    const r = await request(qp.ports.userMetrics, '/metrics');
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/kn_serving_invocation_duration_seconds_count\{[^}]*http_response_status_code="200"[^}]*\} 1/);
    expect(r.body).toMatch(/kn_serving_invocation_duration_seconds_count\{[^}]*http_response_status_code="404"[^}]*\} 1/);
    expect(r.body).toContain('kn_serving_queue_depth');
  });
});

describe('timeouts', () => {
  it('answers 504 request timeout when the app does not answer within the revision timeout', async () => {
    const { qp } = await setup({ REVISION_TIMEOUT_SECONDS: '1' });
    const t0 = performance.now();
    const r = await request(qp.ports.serving, '/?sleep=5000');
    const took = performance.now() - t0;
    expect(r.status).toBe(504);
    expect(r.body).toBe('request timeout');
    expect(r.headers['x-kdp-error']).toBe('timeout');
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(3000);
  });

  it('response-start timeout fires only before the first byte', async () => {
    const { qp } = await setup({ REVISION_TIMEOUT_SECONDS: '10', REVISION_RESPONSE_START_TIMEOUT_SECONDS: '1' });
    const slow = await request(qp.ports.serving, '/?sleep=3000');
    expect(slow.status).toBe(504);
    const streaming = await request(qp.ports.serving, '/?stream=3&interval=600');
    expect(streaming.status).toBe(200);
  });
});

describe('drain', () => {
  it('on SIGTERM fails health checks at once, keeps serving through the quiet period, then exits 0', async () => {
    const { qp } = await setup({ KDP_DRAIN_QUIET_PERIOD_SECONDS: '1' });
    const inflight = request(qp.ports.serving, '/?sleep=700');
    await new Promise((r) => setTimeout(r, 50));
    qp.kill('SIGTERM');
    await qp.waitForLog((l) => l.msg === 'draining');
    const health = await request(qp.ports.serving, '/', { headers: { ...KUBE, 'K-Network-Probe': 'queue' } });
    expect(health.status).toBe(503);
    expect(health.body).toBe('shutting down\n');
    const during = await request(qp.ports.serving, '/');
    expect(during.status).toBe(200);
    expect((await inflight).status).toBe(200);
    const { code } = await qp.exited;
    expect(code).toBe(0);
  });

  it('a second signal exits 1 at once', async () => {
    const { qp } = await setup({ KDP_DRAIN_QUIET_PERIOD_SECONDS: '30' });
    qp.kill('SIGTERM');
    await qp.waitForLog((l) => l.msg === 'draining');
    qp.kill('SIGTERM');
    const { code } = await qp.exited;
    expect(code).toBe(1);
  });

  it('/wait-for-drain resets after 1 s without SIGTERM', async () => {
    const { qp } = await setup({ KDP_DRAIN_QUIET_PERIOD_SECONDS: '30' });
    const t0 = performance.now();
    const r = await request(qp.ports.admin, '/wait-for-drain');
    expect(r.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
    const health = await request(qp.ports.serving, '/', { headers: { ...KUBE, 'K-Network-Probe': 'queue' } });
    expect(health.status).toBe(200);
    expect((await request(qp.ports.admin, '/other')).status).toBe(404);
  });

  it('/wait-for-drain refuses requests a web page made (Origin, Sec-Fetch-Site: cross-site) and does not drain', async () => {
    const { qp } = await setup({ KDP_DRAIN_QUIET_PERIOD_SECONDS: '30' });
    for (const headers of [{ Origin: 'http://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }, { 'Sec-Fetch-Site': 'same-site' }]) {
      const r = await request(qp.ports.admin, '/wait-for-drain', { headers });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.body).toBe('the admin port does not answer web pages (Origin or Sec-Fetch-Site cross-site)\n');
    }
    const health = await request(qp.ports.serving, '/', { headers: { ...KUBE, 'K-Network-Probe': 'queue' } });
    expect(health.status).toBe(200);
  });
});
