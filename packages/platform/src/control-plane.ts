/**
 * The local control plane: one process, pods as child processes. This is the composition root of the data path
 * (docs/architecture.md §3 "Processes and ports"):
 *
 *   router (Http1Engine + fallback) ──Host/tag──▶ activator.handle(ex, "ns/rev") ──one hop──▶ pod's queue-proxy ─▶ app
 *   activator ──1 s reports + immediate poke──▶ autoscaler ◀──1 s scrape of each ready pod's Stat port
 *   autoscaler.onDesiredScale ──▶ supervisor.scale ──podStarted/podStopping/podStopped──▶ activator (probing, LB)
 *
 * Every request goes through the in-process activator; the router's handler (packages/router/src/handler.ts)
 * explains why there is no separate warm path and how that keeps the autoscaler's view of concurrency counted
 * exactly once.
 *
 * The parts, in the order they are put together:
 *   wiring.ts            runtime, pod table, activator, autoscaler, scraper, and the loop between them
 *   revision-registry.ts the revisions held, and what each component is told when they change
 *   router-listener.ts   the route table and the router's request path on the HTTP/1.1 engine
 *   shutdown.ts          stopping in order (and undoing a start whose listen failed)
 */
import { EventEmitter } from 'node:events';
import { resolveAutoscalerConfig } from '@kdp/autoscaler';
import type { ControlPlane, ControlPlaneEvents, ControlPlaneOptions } from './control-plane-api.js';
import { safeEmitter } from './events.js';
import { resolveOptions } from './options.js';
import { RevisionRegistry } from './revision-registry.js';
import { listenRouter } from './router-listener.js';
import type { RouterListener } from './router-listener.js';
import { abortDataPath, shutDown } from './shutdown.js';
import { wireDataPath } from './wiring.js';

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const o = resolveOptions(options);
  const { logger, clock } = o;
  // Throws (every problem listed) before anything starts.
  const autoscalerConfig = resolveAutoscalerConfig(options.autoscaler);
  const events = new EventEmitter<ControlPlaneEvents>();
  const emit = safeEmitter(events, logger);

  // Pods become ready only after revisions were added, i.e. once `registry` exists.
  const dataPath = wireDataPath({ o, autoscalerConfig, emit, onPodReady: (pod) => registry.podReady(pod) });
  const registry = new RevisionRegistry({ logger, clock, dataPath, emit });

  let router: RouterListener;
  try {
    router = await listenRouter(o, dataPath.activator.handle);
  } catch (err) {
    await abortDataPath(dataPath);
    throw err;
  }
  dataPath.activator.start();
  dataPath.autoscaler.start();
  registry.startSampling();
  logger.info({ routerUrl: router.url, domain: o.domain }, 'control plane started');

  let stopping: Promise<void> | null = null;
  const assertRunning = (): void => {
    if (stopping !== null) throw new Error('the control plane is stopped');
  };

  return {
    routerUrl: router.url,
    domain: o.domain,
    events,
    addRevision: (rev) => {
      assertRunning();
      registry.add(rev);
    },
    removeRevision: (key) => registry.remove(key),
    revisionStatus: (key) => registry.status(key),
    setRoutes: (input) => {
      assertRunning();
      // Throws RouteTableError (every problem) and keeps the current table.
      router.routes.update({ routes: input, domain: o.domain, tagHeaderRouting: o.tagHeaderRouting });
      registry.routesChanged(input);
    },
    metricsText: () => dataPath.activator.metrics?.registry.metrics() ?? Promise.resolve(''),
    stop: () => (stopping ??= shutDown({ o, router, dataPath, registry })),
  };
}
