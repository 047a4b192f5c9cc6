import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeAutoscaler } from '@kdp/activator/testing';
import { FakeKubeApi, kubeconfigFor } from '@kdp/kube/testing';
import { NAMESPACE, REVISION, runActivator } from './activator.js';
import { startQueueProxy } from './queue-proxy.js';
import { startSampleApp } from './sample-app.js';
import type { Target } from '../types.js';

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
      const run = await runActivator(ctx, {
        POD_NAME: 'activator-bench',
        POD_IP: '10.0.0.1',
        SYSTEM_NAMESPACE: 'knative-serving',
        KUBECONFIG: kubeconfig,
        KDP_AUTOSCALER_URL: scaler.url,
      }, { h2c: true });
      return {
        ...run,
        app: app.process,
        related: [qp.process],
        async stop(): Promise<void> {
          await Promise.all([api.close(), scaler.close()]);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
