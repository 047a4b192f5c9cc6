import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createActivatorMetrics } from './metrics.js';

const L = 'k8s_namespace_name="ns",kn_revision_name="rev"';

describe('activator metrics', () => {
  it('exposes request counts by status and a cumulative latency histogram per revision', async () => {
    const registry = new Registry();
    const m = createActivatorMetrics(registry);
    const rev = m.forRevision('ns', 'rev', () => ({ queued: 3, active: 2 }));
    rev.observeRequest(200, 0.004);
    rev.observeRequest(200, 0.2);
    rev.observeRequest(504, 300);
    rev.observeRequest(502, Number.NaN); // counted, but the latency is dropped
    const text = await registry.metrics();
    expect(text).toContain(`kdp_activator_requests_total{${L},http_response_status_code="200"} 2`);
    expect(text).toContain(`kdp_activator_requests_total{${L},http_response_status_code="504"} 1`);
    expect(text).toContain(`kdp_activator_request_duration_seconds_bucket{${L},le="0.005"} 1`);
    expect(text).toContain(`kdp_activator_request_duration_seconds_bucket{${L},le="0.25"} 2`);
    expect(text).toContain(`kdp_activator_request_duration_seconds_bucket{${L},le="300"} 3`);
    expect(text).toContain(`kdp_activator_request_duration_seconds_bucket{${L},le="+Inf"} 3`);
    expect(text).toContain(`kdp_activator_request_duration_seconds_count{${L}} 3`);
    expect(text).toContain(`kn_revision_request_queued{${L}} 3`);
    expect(text).toContain(`kn_revision_request_active{${L}} 2`);
    expect(text).toContain('# TYPE kdp_activator_requests_total counter');
    expect(text).toContain('# TYPE kdp_activator_request_duration_seconds histogram');
  });

  it('records cold-start phases and drops every series of a removed revision', async () => {
    const registry = new Registry();
    const m = createActivatorMetrics(registry);
    const rev = m.forRevision('ns', 'rev', () => ({ queued: 0, active: 0 }));
    rev.observeColdStartPhase('app_ready', 0.3);
    rev.observeColdStart(0.4);
    rev.observeRequest(200, 0.1);
    let text = await registry.metrics();
    expect(text).toContain(`kdp_activator_cold_start_phase_seconds_count{${L},phase="app_ready"} 1`);
    expect(text).toContain(`kdp_activator_cold_start_seconds_sum{${L}} 0.4`);
    rev.remove();
    text = await registry.metrics();
    expect(text).not.toContain('kn_revision_name="rev"');
  });
});
