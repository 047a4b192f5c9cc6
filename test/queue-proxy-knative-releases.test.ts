/**
 * The kdp-queue-proxy binary with the environment each Knative release generation injects: 1.12-1.18
 * (SERVING_REQUEST_METRICS_BACKEND and friends, OpenCensus metric names) and 1.19+ (OBSERVABILITY_CONFIG, OTel
 * names). A real process, a real sample app, :9091 on a free port through KDP_USER_METRICS_PORT.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startSampleApp } from '@kdp/sample-app';
import type { SampleApp } from '@kdp/sample-app';
import { freePorts } from './helpers/ports.js';
import { killAll, queueProxyEnv, spawnNode, startQueueProxy, QUEUE_PROXY_BIN } from './helpers/process.js';
import type { Proc } from './helpers/process.js';
import { request } from './helpers/http.js';
import { KNATIVE_1_18_OBSERVABILITY_ENV } from '../packages/queue-proxy/src/testdata/knative-1.18-env.js';

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

// What a Knative 1.18 controller adds (packages/queue-proxy/src/testdata/knative-1.18-env.ts).
const V1_18: NodeJS.ProcessEnv = { ...KNATIVE_1_18_OBSERVABILITY_ENV };

// Knative 1.19+ (S@knative-v1.23.0:pkg/reconciler/revision/resources/queue.go) with Prometheus request metrics.
const V1_19: NodeJS.ProcessEnv = {
  OBSERVABILITY_CONFIG: '{"tracing":{"protocol":"none"},"metrics":{"protocol":"prometheus"},"runtime":{"profiling":"disabled"},"requestMetrics":{"protocol":"prometheus"}}',
  ENABLE_HTTP2_AUTO_DETECTION: 'false',
  ENABLE_HTTP_FULL_DUPLEX: 'false',
  ENABLE_MULTI_CONTAINER_PROBES: 'false',
};

/** Starts the binary without KDP_USER_METRICS_PORT, so only the Knative variables decide about :9091. */
async function startWithoutUserMetricsPort(userPort: number, extra: NodeJS.ProcessEnv): Promise<{ proc: Proc; ready: Record<string, unknown> }> {
  const [serving, admin, metrics] = (await freePorts(3)) as [number, number, number];
  const env = queueProxyEnv(userPort, { serving, admin, metrics, userMetrics: 0 }, extra);
  delete env.KDP_USER_METRICS_PORT;
  const proc = spawnNode([QUEUE_PROXY_BIN], env);
  const ready = await Promise.race([
    proc.waitForLog((l) => l.msg === 'queue-proxy ready'),
    proc.exited.then(({ code }): never => {
      throw new Error(`queue-proxy exited ${String(code)}: ${proc.stderr}`);
    }),
  ]);
  return { proc, ready };
}

describe('Knative 1.12-1.18 environment', () => {
  it('serves the OpenCensus request metrics on the user-metrics port after requests', async () => {
    const a = await app();
    const qp = await startQueueProxy(a.port, { ...V1_18, CONTAINER_CONCURRENCY: '5' });
    const ready = await qp.waitForLog((l) => l.msg === 'queue-proxy ready');
    expect(ready['knativeGeneration']).toBe('legacy-env');

    expect((await request(qp.ports.serving, '/')).status).toBe(200);
    expect((await request(qp.ports.serving, '/status/404')).status).toBe(404);
    expect((await request(qp.ports.serving, '/', { headers: { 'Knative-Serving-Tag': 'blue' } })).status).toBe(200);
    // A probe reaches the app but is not recorded (S:pkg/queue/request_metric.go filters netheader.IsProbe).
    expect((await request(qp.ports.serving, '/', { headers: { 'K-Network-Probe': 'activator' } })).status).toBe(200);

    const r = await request(qp.ports.userMetrics, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const resource = 'revision_name="hello-00001",';
    const series = (name: string, code: string, tag: string | null, count = 1): RegExp =>
      new RegExp(
        `^${name}\\{configuration_name="hello",container_name="queue-proxy",namespace_name="default",pod_name="hello-00001-pod",response_code="${code}",response_code_class="${code.charAt(0)}xx",${resource}${tag === null ? '' : `route_tag="${tag}",`}service_name="hello"\\} ${String(count)}$`,
        'mu',
      );
    expect(r.body).toMatch(series('revision_request_count', '200', 'DISABLED'));
    expect(r.body).toMatch(series('revision_request_count', '404', 'DISABLED'));
    expect(r.body).toMatch(series('revision_request_count', '200', 'blue'));
    // The app-level pair has no route tag: the two 200s are one series.
    expect(r.body).toMatch(series('revision_app_request_count', '200', null, 2));
    expect(r.body).toMatch(series('revision_app_request_count', '404', null));
    expect(r.body).toMatch(series('revision_request_latencies_count', '200', 'DISABLED'));
    expect(r.body).toMatch(/^revision_request_latencies_bucket\{[^}]*route_tag="blue"[^}]*,le="\+Inf"\} 1$/mu);
    expect(r.body).toMatch(/^revision_app_request_latencies_bucket\{[^}]*response_code="200"[^}]*,le="100000"\} 2$/mu);
    expect(r.body).toMatch(/^revision_queue_depth\{[^}]*response_code="",response_code_class=""[^}]*\} 1$/mu);
    // The 1.19+ names are not served to a 1.12-1.18 cluster.
    expect(r.body).not.toContain('kn_serving_');
  });

  it('prints what Knative 1.12.4 prints for the same requests (bucket and sum values aside: real latencies)', async () => {
    // The fixture and its request sequence: packages/queue-proxy/src/legacy-metrics.test.ts (KNATIVE_FIXTURE_REQUESTS).
    const fixture = readFileSync(new URL('../packages/queue-proxy/src/testdata/knative-v1.12.4-request-metrics.prom', import.meta.url), 'utf8');
    const requests: readonly [string, Record<string, string>][] = [
      ['/', {}],
      ['/status/404', {}],
      ['/', { 'Knative-Serving-Tag': 'blue' }],
      ['/', { 'Knative-Serving-Default-Route': 'true' }],
      ['/', { 'Knative-Serving-Tag': 'green', 'Knative-Serving-Default-Route': 'true' }],
      ['/', { 'K-Network-Probe': 'activator' }],
      ['/status/503', {}],
      ['/', {}],
    ];
    const a = await app();
    const qp = await startQueueProxy(a.port, { ...V1_18, CONTAINER_CONCURRENCY: '5', SERVING_POD: 'hello-00001-deployment-abc' });
    for (const [path, headers] of requests) await request(qp.ports.serving, path, { headers });
    const r = await request(qp.ports.userMetrics, '/metrics');
    const normalise = (text: string): string => text.replace(/^(\S+_(?:bucket|sum)\{[^}]*\}) \S+$/gmu, '$1 <value>');
    expect(normalise(r.body)).toBe(normalise(fixture));
  });

  it('opens no user-metrics listener for backend none', async () => {
    const a = await app();
    const { ready } = await startWithoutUserMetricsPort(a.port, { ...V1_18, SERVING_REQUEST_METRICS_BACKEND: 'none' });
    // "prometheus" without KDP_USER_METRICS_PORT listens on Knative's fixed 9091 (config-legacy.test.ts), which a
    // shared test machine cannot promise to be free, so the end-to-end tests move it.
    expect((ready['ports'] as Record<string, unknown>)['userMetrics']).toBeNull();
  });

  it('starts with one warning per feature kdp does not have, and serves', async () => {
    const a = await app();
    const { proc, ready } = await startWithoutUserMetricsPort(a.port, {
      ...V1_18,
      SERVING_REQUEST_METRICS_BACKEND: 'opencensus',
      METRICS_COLLECTOR_ADDRESS: 'otel-collector.metrics:55678',
      SERVING_ENABLE_REQUEST_LOG: 'true',
      TRACING_CONFIG_BACKEND: 'zipkin',
      TRACING_CONFIG_ZIPKIN_ENDPOINT: 'http://zipkin.istio-system:9411/api/v2/spans',
    });
    expect((ready['ports'] as Record<string, unknown>)['userMetrics']).toBeNull();
    const warnings: Record<string, unknown>[] = [];
    for (const variable of ['SERVING_REQUEST_METRICS_BACKEND', 'SERVING_ENABLE_REQUEST_LOG', 'TRACING_CONFIG_BACKEND']) {
      warnings.push(await proc.waitForLog((l) => l.level === 40 && typeof l.msg === 'string' && l.msg.startsWith(`${variable}:`)));
    }
    expect(warnings[0]?.['msg']).toContain('otel-collector.metrics:55678');
    const serving = (await proc.waitForLog((l) => l.msg === 'queue-proxy ready'))['ports'] as Record<string, number>;
    expect((await request(serving['serving'] ?? 0, '/')).status).toBe(200);
  });

  it('exits 1 with one line per malformed legacy variable, as envconfig fails', async () => {
    const env = queueProxyEnv(8080, { serving: 1, admin: 2, metrics: 3, userMetrics: 4 }, { ...V1_18, TRACING_CONFIG_DEBUG: 'on', TRACING_CONFIG_SAMPLE_RATE: '10%' });
    const proc = spawnNode([QUEUE_PROXY_BIN], env);
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.stderr.trim().split('\n').sort()).toEqual([
      'TRACING_CONFIG_DEBUG: invalid boolean "on" (expected 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False)',
      'TRACING_CONFIG_SAMPLE_RATE: invalid number "10%"',
    ]);
  });
});

describe('Knative 1.19+ environment', () => {
  it('still serves the OTel names', async () => {
    const a = await app();
    const qp = await startQueueProxy(a.port, { ...V1_19, CONTAINER_CONCURRENCY: '5' });
    const ready = await qp.waitForLog((l) => l.msg === 'queue-proxy ready');
    expect(ready['knativeGeneration']).toBe('observability-config');
    expect((await request(qp.ports.serving, '/')).status).toBe(200);
    const r = await request(qp.ports.userMetrics, '/metrics');
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^kn_serving_invocation_duration_seconds_count\{[^}]*http_response_status_code="200"[^}]*\} 1$/mu);
    expect(r.body).toContain('kn_serving_queue_depth');
    expect(r.body).not.toContain('revision_request_count');
  });
});
