import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { INVOCATION_DURATION_BUCKETS_SECONDS, createQueueMetrics, type QueueMetricsLabels } from './metrics.js';

const LABELS: QueueMetricsLabels = {
  namespace: 'default',
  service: 'hello',
  configuration: 'hello',
  revision: 'hello-00001',
  pod: 'hello-00001-deployment-abc',
};

const SCOPE = 'otel_scope_name="knative.dev/serving/pkg/queue"';

function bucketLine(status: number, le: string): RegExp {
  return new RegExp(`^kn_serving_invocation_duration_seconds_bucket\\{(?=[^}]*http_response_status_code="${String(status)}")(?=[^}]*le="${le.replace('+', '\\+')}")[^}]*\\} (\\S+)$`, 'mu');
}

function sample(text: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

describe('createQueueMetrics', () => {
  it('one 1 s request lands in le="1" and not in le="0.75" (TestAppRequestMetricsHandler)', async () => {
    const metrics = createQueueMetrics(LABELS);
    metrics.observe(200, 1);
    const text = await metrics.registry.metrics();

    expect(text).toContain('# HELP kn_serving_invocation_duration_seconds The duration of task execution');
    expect(text).toContain('# TYPE kn_serving_invocation_duration_seconds histogram');
    expect(sample(text, bucketLine(200, '0.75'))).toBe(0);
    expect(sample(text, bucketLine(200, '1'))).toBe(1);
    expect(sample(text, bucketLine(200, '10'))).toBe(1);
    expect(sample(text, bucketLine(200, '+Inf'))).toBe(1);
    expect(text).toMatch(new RegExp(`^kn_serving_invocation_duration_seconds_sum\\{http_response_status_code="200",${SCOPE}\\} 1$`, 'mu'));
    expect(text).toMatch(new RegExp(`^kn_serving_invocation_duration_seconds_count\\{http_response_status_code="200",${SCOPE}\\} 1$`, 'mu'));
  });

  it('prints every bucket bound of Knative, cumulatively', async () => {
    const metrics = createQueueMetrics(LABELS);
    for (const seconds of [0.001, 0.005, 0.0051, 0.3, 9.9, 10, 11]) metrics.observe(503, seconds);
    const text = await metrics.registry.metrics();
    const cumulative = INVOCATION_DURATION_BUCKETS_SECONDS.map((le) => sample(text, bucketLine(503, String(le))));
    // ≤0.005: two (bounds are inclusive); ≤0.01: three; ≤0.5: four; ≤10: six; +Inf: seven.
    expect(cumulative).toEqual([2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 6]);
    expect(sample(text, bucketLine(503, '+Inf'))).toBe(7);
  });

  it.each([
    [200, 'common'],
    [418, 'uncommon, created on first use'],
    [599, 'uncommon'],
  ])('status %d (%s) gets its own series', async (status) => {
    const metrics = createQueueMetrics(LABELS);
    metrics.observe(status, 0.02);
    metrics.observe(status, 0.02);
    const text = await metrics.registry.metrics();
    expect(sample(text, bucketLine(status, '0.025'))).toBe(2);
    // Statuses never recorded do not show up, as with the OTel exporter.
    expect(text.match(/_count\{/gu)).toHaveLength(1);
  });

  it('drops a non-finite duration instead of poisoning the sum', async () => {
    const metrics = createQueueMetrics(LABELS);
    metrics.observe(200, Number.NaN);
    metrics.observe(200, 0.1);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^kn_serving_invocation_duration_seconds_sum\{[^}]*\} 0\.1$/mu);
  });

  it('kn_serving_queue_depth appears with its first recording and shows the last value', async () => {
    const metrics = createQueueMetrics(LABELS);
    expect(await metrics.registry.metrics()).not.toContain('kn_serving_queue_depth');
    metrics.setQueueDepth(3);
    metrics.setQueueDepth(1);
    const text = await metrics.registry.metrics();
    expect(text).toContain('# HELP kn_serving_queue_depth Number of current requests in the queue');
    expect(text).toContain('# TYPE kn_serving_queue_depth gauge');
    expect(text).toMatch(new RegExp(`^kn_serving_queue_depth\\{${SCOPE}\\} 1$`, 'mu'));
  });

  it.each([
    [LABELS, 'service_name="hello"', ['kn_service_name="hello"', 'kn_configuration_name="hello"', 'kn_revision_name="hello-00001"']],
    [{ ...LABELS, service: '' }, 'service_name="hello"', ['kn_configuration_name="hello"']],
    [{ ...LABELS, service: '', configuration: '' }, 'service_name="hello-00001"', ['kn_revision_name="hello-00001"']],
    [{ ...LABELS, serviceName: 'custom', serviceVersion: 'v1' }, 'service_name="custom"', ['service_version="v1"']],
  ])('target_info carries the resource attributes (%#)', async (labels, serviceName, extra) => {
    const text = await createQueueMetrics(labels).registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith('target_info{'));
    expect(line).toBeDefined();
    expect(line).toMatch(/ 1$/u);
    for (const part of [
      'k8s_container_name="queue-proxy"',
      'k8s_namespace_name="default"',
      'k8s_pod_name="hello-00001-deployment-abc"',
      'service_instance_id="hello-00001-deployment-abc"',
      serviceName,
      ...extra,
    ]) {
      expect(line).toContain(part);
    }
    if (labels.service === '') expect(line).not.toContain('kn_service_name');
  });

  it('uses a registry of its own, never the global one', async () => {
    const a = createQueueMetrics(LABELS);
    const b = createQueueMetrics({ ...LABELS, pod: 'other' });
    a.observe(200, 1);
    expect(await globalRegistry.metrics()).not.toContain('kn_serving');
    expect(await b.registry.metrics()).not.toContain('_count{');
  });

  it('works through getMetricsAsJSON and resetMetrics', async () => {
    const metrics = createQueueMetrics(LABELS);
    metrics.observe(200, 0.2);
    const json = await metrics.registry.getMetricsAsJSON();
    const histogram = json.find((m) => m.name === 'kn_serving_invocation_duration_seconds');
    expect(histogram?.values).toContainEqual({
      metricName: 'kn_serving_invocation_duration_seconds_bucket',
      value: 1,
      labels: { http_response_status_code: '200', otel_scope_name: 'knative.dev/serving/pkg/queue', le: 0.25 },
    });
    metrics.registry.resetMetrics();
    expect(await metrics.registry.metrics()).not.toContain('kn_serving_invocation_duration_seconds_count');
  });
});
