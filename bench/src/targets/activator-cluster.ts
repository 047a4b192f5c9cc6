import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeAutoscaler } from '@kdp/activator/testing';
import { FakeKubeApi, kubeconfigFor } from '@kdp/kube/testing';
import { ACTIVATOR_MAIN } from './activator.js';
import { startQueueProxy } from './queue-proxy.js';
import { startSampleApp } from './sample-app.js';
import type { Target } from '../types.js';

const NAMESPACE = 'default';
const REVISION = 'r';
const TOKEN = 'bench';

/**
 * The sample app behind its queue-proxy behind `kdp-activator` in **cluster mode**: its own process configured as
 * Knative's activator Deployment configures it, learning the revision and its one pod from a fake Kubernetes API
 * server (list + watch over HTTP, in the runner's process) and reporting stats to a fake autoscaler websocket. The
 * fakes do no work after start-up but a stats message per second. Requests carry `Knative-Serving-Revision` /
 * `-Namespace` as from Knative's ingress. Startup: spawn to the first proxied 2xx (informers listed, pod probed).
 */
export function clusterActivatorTarget(name = 'activator-k8s'): Target {
  return {
    name,
    async start(ctx) {
      const app = await startSampleApp(ctx);
      const qp = await startQueueProxy(ctx, app.port, { revision: REVISION });
      const api = new FakeKubeApi({ token: TOKEN });
      await api.listen();
      // Knative's activator ClusterRole grants Endpoints, not EndpointSlices: the activator falls back to Endpoints.
      api.forbid('/apis/discovery.k8s.io/v1/endpointslices');
      const scaler = await FakeAutoscaler.start();
      const dir = mkdtempSync(join(tmpdir(), 'kdp-bench-activator-'));
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, kubeconfigFor(api.url, TOKEN));
      const cc = Number(ctx.scenario.env?.['CONTAINER_CONCURRENCY'] ?? '0');
      api.apply('/apis/serving.knative.dev/v1/revisions', {
        metadata: { name: REVISION, namespace: NAMESPACE },
        spec: { containerConcurrency: cc, timeoutSeconds: 300 },
      });
      api.apply('/api/v1/endpoints', {
        metadata: {
          name: `${REVISION}-private`,
          namespace: NAMESPACE,
          labels: { 'networking.internal.knative.dev/serviceType': 'Private', 'serving.knative.dev/revision': REVISION },
        },
        subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'http', port: qp.port }] }],
      });
      const [port, h2cPort, metricsPort] = await ctx.freePorts(3);
      if (port === undefined || h2cPort === undefined || metricsPort === undefined) throw new Error('no free ports');
      const proc = ctx.spawn({
        role: 'proxy',
        name: 'activator',
        command: process.execPath,
        args: [join(ctx.repoRoot, ACTIVATOR_MAIN)],
        env: {
          POD_NAME: 'activator-bench',
          POD_IP: '10.0.0.1',
          SYSTEM_NAMESPACE: 'knative-serving',
          KUBECONFIG: kubeconfig,
          KDP_AUTOSCALER_URL: scaler.url,
          KDP_ACTIVATOR_PORT: String(port),
          KDP_ACTIVATOR_H2C_PORT: String(h2cPort),
          KDP_ACTIVATOR_METRICS_PORT: String(metricsPort),
          KDP_ACTIVATOR_BIND_HOST: '127.0.0.1',
          CLUSTER_DOMAIN: 'cluster.local',
          KDP_ACTIVATOR_LOG_LEVEL: 'warn',
          KDP_ACTIVATOR_DRAIN_MS: '0',
          KDP_ACTIVATOR_SHUTDOWN_GRACE_MS: '1000',
        },
      });
      const url = `http://127.0.0.1:${String(port)}`;
      const headers = { 'Knative-Serving-Revision': REVISION, 'Knative-Serving-Namespace': NAMESPACE };
      const startupMs = await ctx.waitForFirstResponse(`${url}/`, proc, { headers });
      return {
        url,
        headers,
        measured: proc,
        app: app.process,
        related: [qp.process],
        startupMs,
        async stop(): Promise<void> {
          await Promise.all([api.close(), scaler.close()]);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
