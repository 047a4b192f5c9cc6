import http from 'node:http';
import { createLogger } from '@kdp/core';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { startActivator } from './run.js';
import type { StandaloneActivator } from './run.js';
import { startFakeQueueProxy } from './testing/fake-queue-proxy.js';
import type { FakeQueueProxy } from './testing/fake-queue-proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function get(port: number, path: string, headers: http.OutgoingHttpHeaders): Promise<{ status: number; body: string }> {
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

async function standalone(pod: FakeQueueProxy, drainMs: number): Promise<StandaloneActivator> {
  const config = parseConfig(
    {
      KDP_ACTIVATOR_PORT: '0',
      KDP_ACTIVATOR_METRICS_PORT: '0',
      KDP_ACTIVATOR_BIND_HOST: '127.0.0.1',
      KDP_ACTIVATOR_DRAIN_MS: String(drainMs),
      KDP_ACTIVATOR_SHUTDOWN_GRACE_MS: '1000',
      CLUSTER_DOMAIN: 'cluster.local',
      KDP_ACTIVATOR_REVISIONS: JSON.stringify([
        { namespace: 'ns', name: 'rev', containerConcurrency: 1, pods: [{ id: 'p1', address: `127.0.0.1:${String(pod.port)}` }] },
      ]),
    },
    { readFile: () => '' },
  );
  const act = await startActivator(config, createLogger({ name: 'activator-test', level: 'silent' }));
  cleanups.push(() => act.shutdown());
  return act;
}

describe('standalone activator', () => {
  it('serves a revision from its table, with metrics, then drains: probes 503, requests served, then closed', async () => {
    const pod = await startFakeQueueProxy('p1');
    cleanups.push(() => pod.close());
    pod.setReady();
    const act = await standalone(pod, 150);
    const port = act.ports.serving;
    const res = await get(port, '/hello', { Host: 'rev.ns.svc.cluster.local' });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { path: string }).path).toBe('/hello');

    const metrics = await get(act.ports.metrics, '/metrics', {});
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('kdp_activator_requests_total{k8s_namespace_name="ns",kn_revision_name="rev",http_response_status_code="200"} 1');
    expect((await get(act.ports.metrics, '/other', {})).status).toBe(404);

    const done = act.shutdown();
    expect((await get(port, '/', { 'User-Agent': 'kube-probe/1.31' })).status).toBe(503);
    expect((await get(port, '/', { 'Knative-Serving-Namespace': 'ns', 'Knative-Serving-Revision': 'rev' })).status).toBe(200);
    await done;
    await expect(get(port, '/', {})).rejects.toThrow(/ECONNREFUSED/);
  });

  it('fails to start on a port in use', async () => {
    const pod = await startFakeQueueProxy('p1');
    cleanups.push(() => pod.close());
    const first = await standalone(pod, 0);
    const config = parseConfig(
      { KDP_ACTIVATOR_PORT: String(first.ports.serving), KDP_ACTIVATOR_METRICS_PORT: '0', KDP_ACTIVATOR_BIND_HOST: '127.0.0.1', KDP_ACTIVATOR_REVISIONS: '[]' },
      { readFile: () => '' },
    );
    await expect(startActivator(config, createLogger({ name: 'activator-test', level: 'silent' }))).rejects.toThrow(/EADDRINUSE/);
  });
});
