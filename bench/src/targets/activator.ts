import { join } from 'node:path';
import { startQueueProxy } from './queue-proxy.js';
import { requireBuilt, startSampleApp } from './sample-app.js';
import type { Target } from '../types.js';

/** The standalone activator (`kdp-activator`), built by `tsc -b packages/activator`. */
export const ACTIVATOR_MAIN = 'packages/activator/dist/main.js';

const NAMESPACE = 'default';
const REVISION = 'r';

/**
 * The sample app behind its queue-proxy behind kdp's **standalone** activator (its own process, as Knative's
 * activator pod), whose revision table names that one pod: a warm activator hop, no router. Requests carry
 * `Knative-Serving-Revision` / `Knative-Serving-Namespace`, as Knative's ingress sets them. The activator is measured;
 * the queue-proxy shares its CPU (kdp's data path on the proxy CPU, the app with the load generator), and its CPU is
 * reported beside. Startup: spawn of the activator (pod up) to its first proxied 2xx (includes its first probe).
 */
export function standaloneActivatorTarget(name = 'activator'): Target {
  return {
    name,
    async start(ctx) {
      const app = await startSampleApp(ctx);
      const qp = await startQueueProxy(ctx, app.port, { revision: REVISION });
      const [port, metricsPort] = await ctx.freePorts(2);
      if (port === undefined || metricsPort === undefined) throw new Error('no free ports');
      const cc = Number(ctx.scenario.env?.['CONTAINER_CONCURRENCY'] ?? '0');
      const proc = ctx.spawn({
        role: 'proxy',
        name: 'activator',
        command: process.execPath,
        args: [join(ctx.repoRoot, ACTIVATOR_MAIN)],
        env: {
          KDP_ACTIVATOR_PORT: String(port),
          KDP_ACTIVATOR_METRICS_PORT: String(metricsPort),
          KDP_ACTIVATOR_BIND_HOST: '127.0.0.1',
          CLUSTER_DOMAIN: 'cluster.local',
          KDP_ACTIVATOR_REVISIONS: JSON.stringify([
            { namespace: NAMESPACE, name: REVISION, containerConcurrency: cc, pods: [{ id: 'p', address: `127.0.0.1:${String(qp.port)}` }] },
          ]),
          KDP_ACTIVATOR_LOG_LEVEL: 'warn',
          // Stop at once when the runner is done (Knative drains 45 s so endpoints can drop the pod).
          KDP_ACTIVATOR_DRAIN_MS: '0',
          KDP_ACTIVATOR_SHUTDOWN_GRACE_MS: '1000',
        },
      });
      const url = `http://127.0.0.1:${String(port)}`;
      const headers = { 'Knative-Serving-Revision': REVISION, 'Knative-Serving-Namespace': NAMESPACE };
      const startupMs = await ctx.waitForFirstResponse(`${url}/`, proc, { headers });
      return { url, headers, measured: proc, app: app.process, related: [qp.process], startupMs };
    },
  };
}

export function activatorPreflight(repoRoot: string): Promise<void> {
  return requireBuilt(repoRoot, ACTIVATOR_MAIN, 'the standalone activator');
}
