import { join } from 'node:path';
import { startQueueProxy } from './queue-proxy.js';
import { requireBuilt, startSampleApp } from './sample-app.js';
import type { ManagedProcess, Target, TargetContext } from '../types.js';

/** The standalone activator (`kdp-activator`), built by `tsc -b packages/activator`. */
export const ACTIVATOR_MAIN = 'packages/activator/dist/main.js';

/** The one revision both activator targets serve, as Knative ingress names it in its headers. */
export const NAMESPACE = 'default';
export const REVISION = 'r';

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
      const cc = Number(ctx.scenario.env?.['CONTAINER_CONCURRENCY'] ?? '0');
      const run = await runActivator(ctx, {
        KDP_ACTIVATOR_REVISIONS: JSON.stringify([
          { namespace: NAMESPACE, name: REVISION, containerConcurrency: cc, pods: [{ id: 'p', address: `127.0.0.1:${String(qp.port)}` }] },
        ]),
      });
      return { ...run, app: app.process, related: [qp.process] };
    },
  };
}

/**
 * Spawns `kdp-activator` on the proxy CPU on free loopback ports, with `modeEnv` choosing its mode (a revision table,
 * or the cluster-mode variables), and waits for its first proxied 2xx with Knative ingress's revision headers.
 * Both activator targets start it this way, so they differ only in where the activator learns its revision.
 */
export async function runActivator(
  ctx: TargetContext,
  modeEnv: Record<string, string>,
  opts: { h2c?: boolean } = {},
): Promise<{ url: string; headers: Record<string, string>; measured: ManagedProcess; startupMs: number }> {
  // One call for every port, so no two of them can be handed out twice.
  const [port, metricsPort, h2cPort] = await ctx.freePorts(opts.h2c === true ? 3 : 2);
  if (port === undefined || metricsPort === undefined) throw new Error('no free ports');
  const proc = ctx.spawn({
    role: 'proxy',
    name: 'activator',
    command: process.execPath,
    args: [join(ctx.repoRoot, ACTIVATOR_MAIN)],
    env: {
      ...modeEnv,
      KDP_ACTIVATOR_PORT: String(port),
      KDP_ACTIVATOR_METRICS_PORT: String(metricsPort),
      KDP_ACTIVATOR_BIND_HOST: '127.0.0.1',
      CLUSTER_DOMAIN: 'cluster.local',
      KDP_ACTIVATOR_LOG_LEVEL: 'warn',
      // Stop at once when the runner is done (Knative drains 45 s so endpoints can drop the pod).
      KDP_ACTIVATOR_DRAIN_MS: '0',
      KDP_ACTIVATOR_SHUTDOWN_GRACE_MS: '1000',
      ...(h2cPort === undefined ? {} : { KDP_ACTIVATOR_H2C_PORT: String(h2cPort) }),
    },
  });
  const url = `http://127.0.0.1:${String(port)}`;
  const headers = { 'Knative-Serving-Revision': REVISION, 'Knative-Serving-Namespace': NAMESPACE };
  const startupMs = await ctx.waitForFirstResponse(`${url}/`, proc, { headers });
  return { url, headers, measured: proc, startupMs };
}

export function activatorPreflight(repoRoot: string): Promise<void> {
  return requireBuilt(repoRoot, ACTIVATOR_MAIN, 'the standalone activator');
}
