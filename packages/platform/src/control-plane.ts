/**
 * The local control plane: one process, pods as child processes. This is the composition root of the data path
 * (docs/architecture.md §3 "Processes and ports"):
 *
 *   router (Http1Engine + fallback) ──Host/tag──▶ activator.handle(ex, "ns/rev") ──one hop──▶ pod's queue-proxy ─▶ app
 *   activator ──1 s reports + immediate poke──▶ autoscaler ◀──1 s scrape of each ready pod's Stat port
 *   autoscaler.onDesiredScale ──▶ supervisor.scale ──podStarted/podStopping/podStopped──▶ activator (probing, LB)
 *
 * Every request goes through the in-process activator; the router's handler (packages/router/src/handler.ts) explains why there is no separate warm path and
 * how that keeps the autoscaler's view of concurrency counted exactly once.
 */
import { EventEmitter } from 'node:events';
import { createActivator, createHttpProber, REQUEST_DURATION_BUCKETS_SECONDS } from '@kdp/activator';
import type { Activator } from '@kdp/activator';
import { Autoscaler, HttpStatsScraper, resolveAutoscalerConfig, resolveRevisionSettings } from '@kdp/autoscaler';
import { Http1Engine, createFallbackEngine } from '@kdp/core';
import { createRouterHandler, RouteTable, RouteTableRef } from '@kdp/router';
import type { RouteInput } from '@kdp/router';
import { Supervisor, revisionKey } from '@kdp/runtime';
import type { PodStartedEvent, Revision } from '@kdp/runtime';
import type {
  ControlPlane,
  ControlPlaneEvents,
  ControlPlaneOptions,
  PodRuntimeStatus,
  RevisionRuntimeStatus,
} from './control-plane-api.js';
import { resolveOptions } from './options.js';
import { PodTable } from './pod-table.js';
import type { PlatformPod } from './pod-table.js';
import {
  activatorSpecOf,
  autoscalerInputOf,
  isReachable,
  nextRoutingState,
  routedRevisions,
} from './revision-inputs.js';
import type { RoutingState } from './revision-inputs.js';
import { LiveStats } from './live-stats.js';

/** How often the live numbers copy each revision's request histogram (a minute is 12 copies). */
const LIVE_SAMPLE_MS = 5_000;

/**
 * How often the activator re-probes a starting pod. Knative's activator uses 200 ms, kdp's standalone activator
 * 50 ms. Here pods are local: until the queue-proxy listens a probe is a refused loopback connect (~30 µs), and once
 * it listens the queue-proxy holds the probe until the app is ready (aggressive mode), so polling faster only cuts
 * the cold start by up to the interval, at no real cost.
 */
const LOCAL_PROBE_INTERVAL_MS = 10;

interface RevisionState {
  readonly rev: Revision;
  /** The snapshot as JSON: `addRevision` is idempotent for an identical one. */
  readonly json: string;
  routing: RoutingState;
  everReady: boolean;
  removal: Promise<void> | null;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const o = resolveOptions(options);
  const { logger, clock } = o;
  // Throws (every problem listed) before anything starts.
  const autoscalerConfig = resolveAutoscalerConfig(options.autoscaler);
  const events = new EventEmitter<ControlPlaneEvents>();
  const revisions = new Map<string, RevisionState>();
  let routed = new Set<string>();
  let stopping: Promise<void> | null = null;

  // A listener of ours must not break the component that reported the event (runtime, activator, request path).
  const emit = <K extends keyof ControlPlaneEvents>(name: K, ...args: ControlPlaneEvents[K]): void => {
    try {
      (events.emit as (n: K, ...a: ControlPlaneEvents[K]) => boolean)(name, ...args);
    } catch (err) {
      logger.error({ err, event: name }, 'control plane event listener threw');
    }
  };

  const supervisor = new Supervisor({
    queueProxyCommand: o.queueProxyCommand,
    env: o.env,
    logger,
    clock,
    queueProxyEnv: { drainQuietPeriodSeconds: o.drainQuietPeriodSeconds },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.logSink === undefined ? {} : { logSink: options.logSink }),
  });

  const onPodReady = (pod: PlatformPod): void => {
    const st = revisions.get(pod.revKey);
    if (st === undefined || st.everReady) return;
    st.everReady = true;
    logger.info({ revision: pod.revKey, pod: pod.podId }, 'revision ready');
    emit('revisionReady', pod.revKey);
  };
  const pods = new PodTable({
    isReadyInActivator: (revKey, podId) =>
      activator.revisions.pods(revKey).some((p) => p.podId === podId && p.phase === 'ready'),
    onReady: onPodReady,
  });

  const prober = createHttpProber();
  const activator: Activator = createActivator({
    logger,
    clock,
    sink: {
      report: (revKey, stat) =>
        autoscaler.reportFromActivator({ revisionKey: revKey, concurrency: stat.concurrency, requestCount: stat.requestCount }),
      poke: (revKey) => autoscaler.poke(revKey),
    },
    probe: pods.wrapProbe(prober.probe),
    probeIntervalMs: options.probeIntervalMs ?? LOCAL_PROBE_INTERVAL_MS,
  });

  const scraper = new HttpStatsScraper({
    listPods: (revKey) => pods.scrapeTargets(revKey),
    clock,
    timeoutMs: autoscalerConfig.scrapeTimeoutMs,
  });
  const autoscaler = new Autoscaler({
    clock,
    scraper,
    config: autoscalerConfig,
    logger,
    readyPods: (revKey) => activator.revisions.get(revKey)?.throttler.readyPods ?? 0,
    onDesiredScale: (revKey, desired, info) => {
      // Called synchronously from a poke on the request path: it must not throw there.
      try {
        supervisor.scale(revKey, desired);
      } catch (err) {
        logger.warn({ revision: revKey, desired, err }, 'could not scale revision');
        return;
      }
      logger.info({ revision: revKey, desired, activatorInPath: info.activatorInPath }, 'desired scale');
      emit('scaled', revKey, desired);
    },
  });

  supervisor.on('podStarted', (e) => onPodStarted(e));
  supervisor.on('podStopping', (e) => {
    // Out of load balancing before the queue-proxy is signalled (the runtime emits this first).
    pods.remove(e.revisionKey, e.podId);
    activator.revisions.podStopping(e.revisionKey, e.podId);
  });
  supervisor.on('podStopped', (e) => {
    pods.remove(e.revisionKey, e.podId);
    activator.revisions.podStopped(e.revisionKey, e.podId);
  });
  supervisor.on('revisionFailed', (e) => {
    logger.warn(
      { revision: e.revisionKey, reason: e.reason, detail: e.message, retryInMs: e.retryInMs },
      'revision failed to start',
    );
    emit('revisionFailed', e.revisionKey, e.reason, e.message);
  });

  function onPodStarted(e: PodStartedEvent): void {
    const colon = e.address.lastIndexOf(':');
    const host = e.address.slice(0, colon);
    const queuePort = Number(e.address.slice(colon + 1));
    const ports = supervisor.status(e.revisionKey).pods.find((p) => p.name === e.podId)?.ports;
    if (ports === undefined) {
      // Not expected (the runtime lists a pod before announcing it); without ports it is neither scraped nor
      // reported ready, but the activator still probes it and sends it requests.
      logger.warn({ revision: e.revisionKey, pod: e.podId }, 'started pod not in the runtime status');
    } else {
      pods.add({
        revKey: e.revisionKey,
        podId: e.podId,
        host,
        queuePort,
        metricsPort: ports.metrics,
        startedAtMs: clock.now(),
        ready: false,
      });
    }
    // Probe at once (and every probeIntervalMs) rather than wait for anything else to notice the pod.
    activator.revisions.podStarted(e.revisionKey, e.podId, host, queuePort);
  }

  const routes = new RouteTableRef(
    RouteTable.build({ routes: [], domain: o.domain, tagHeaderRouting: o.tagHeaderRouting }),
  );
  const handler = createRouterHandler(routes, activator.handle, options.hostForwards);
  const fallback = createFallbackEngine({
    handler,
    onHandlerError: (err) => logger.error({ err }, 'router handler threw'),
  });
  const engine = new Http1Engine({ handler, fallback });
  let port: number;
  try {
    port = await engine.listen(o.routerPort, o.routerHost);
  } catch (err) {
    await engine.close(0);
    activator.close();
    prober.close();
    scraper.close();
    await supervisor.close({ graceMs: 0 });
    throw err;
  }
  activator.start();
  autoscaler.start();
  const live = new LiveStats(REQUEST_DURATION_BUCKETS_SECONDS);
  const sampleLive = (): void => {
    const now = clock.now();
    for (const key of revisions.keys()) {
      const entry = activator.revisions.get(key);
      if (entry !== undefined) live.sample(key, entry.metrics.requestTotals(), now);
    }
  };
  sampleLive();
  const liveTimer = setInterval(sampleLive, LIVE_SAMPLE_MS);
  liveTimer.unref();
  const hostForUrl = o.routerHost.includes(':') ? `[${o.routerHost}]` : o.routerHost;
  const routerUrl = `http://${hostForUrl}:${String(port)}`;
  logger.info({ routerUrl, domain: o.domain }, 'control plane started');

  const assertRunning = (): void => {
    if (stopping !== null) throw new Error('the control plane is stopped');
  };

  const addRevision = (rev: Revision): void => {
    assertRunning();
    const key = revisionKey(rev);
    const json = JSON.stringify(rev);
    const existing = revisions.get(key);
    if (existing !== undefined) {
      if (existing.removal !== null) throw new Error(`revision ${key} is being removed`);
      if (existing.json === json) return;
      throw new Error(`revision ${key} already exists with a different spec; revisions are immutable`);
    }
    const routing: RoutingState = routed.has(key) ? 'active' : 'pending';
    const asInput = autoscalerInputOf(rev, isReachable(routing));
    // Validate everything before changing anything: the autoscaler's annotations (throws AutoscalingValidationError
    // with Knative's messages), then the activator's spec (RangeError).
    const settings = resolveRevisionSettings(asInput, autoscaler.config);
    activator.revisions.upsert(activatorSpecOf(rev));
    try {
      supervisor.addRevision(rev);
    } catch (err) {
      activator.revisions.remove(key);
      throw err;
    }
    // Knative marks ScaleTargetInitialized at once when the initial scale is 0 (allowed by allow-zero-initial-scale):
    // such a revision is Ready with no pod, and its first request starts one.
    // (`everReady` still waits for a pod, which announces readiness again.)
    const atZero = settings.initialScale === 0 && settings.minScale === 0;
    revisions.set(key, { rev, json, routing, everReady: false, removal: null });
    // Emits the initial scale (Knative: 1 unless annotated) through onDesiredScale, which starts the pods.
    autoscaler.upsertRevision(key, asInput);
    if (atZero) {
      logger.info({ revision: key }, 'revision ready at zero pods (initial scale 0)');
      emit('revisionReady', key);
    }
  };

  const removeRevision = (key: string): Promise<void> => {
    const st = revisions.get(key);
    if (st === undefined) return Promise.resolve();
    st.removal ??= (async () => {
      autoscaler.removeRevision(key);
      // Buffered requests get 404 now; requests on pods finish while the pods drain.
      activator.revisions.remove(key);
      try {
        await supervisor.removeRevision(key);
      } finally {
        revisions.delete(key);
        live.forget(key);
      }
    })();
    return st.removal;
  };

  const revisionStatus = (key: string): RevisionRuntimeStatus | undefined => {
    const st = revisions.get(key);
    if (st === undefined || !supervisor.has(key)) return undefined;
    const rs = supervisor.status(key);
    const podList: PodRuntimeStatus[] = [];
    let actual = rs.creating;
    for (const p of rs.pods) {
      switch (p.phase) {
        case 'starting':
        case 'running':
          actual++;
          break;
        case 'draining':
          break;
        case 'stopped':
        case 'failed':
          continue;
      }
      podList.push({
        name: p.name,
        phase: p.phase,
        ready: pods.get(key, p.name)?.ready ?? false,
        address: p.address,
        pids: p.pids,
      });
    }
    const failure = rs.lastFailure;
    const as = autoscaler.status(key);
    const entry = activator.revisions.get(key);
    const now = clock.now();
    let window = null;
    if (entry !== undefined) {
      const totals = entry.metrics.requestTotals();
      // A revision added since the last tick starts its ring now.
      window = live.numbers(key, totals, now);
      if (window === null) live.sample(key, totals, now);
    }
    const cold = entry?.lastColdStart ?? null;
    return {
      key,
      everReady: st.everReady,
      readyPods: activator.revisions.get(key)?.throttler.readyPods ?? 0,
      actualPods: actual,
      desiredPods: as?.desiredScale ?? 0,
      failure: failure === undefined ? null : { reason: failure.reason, message: failure.message },
      pods: podList,
      routingState: st.routing,
      autoscaling:
        as === undefined
          ? null
          : {
              metric: as.settings.metric,
              stable: as.observedStable,
              panic: as.observedPanic,
              target: as.settings.targetValue,
              panicking: as.panicking,
            },
      live: {
        inFlight: entry?.throttler.active ?? 0,
        queued: entry?.throttler.queued ?? 0,
        windowS: window?.windowS ?? null,
        rps: window?.rps ?? null,
        p50Ms: window?.p50Ms ?? null,
        p99Ms: window?.p99Ms ?? null,
        lastColdStart:
          cold === null
            ? null
            : {
                agoS: Math.max(0, Math.round((now - cold.atMs) / 1000)),
                totalMs: cold.totalMs,
                podStartMs: cold.podStartMs,
                appReadyMs: cold.appReadyMs,
                firstByteMs: cold.firstByteMs,
              },
      },
    };
  };

  const setRoutes = (input: readonly RouteInput[]): void => {
    assertRunning();
    // Throws RouteTableError (every problem) and keeps the current table.
    routes.update({ routes: input, domain: o.domain, tagHeaderRouting: o.tagHeaderRouting });
    routed = routedRevisions(input);
    for (const [key, st] of revisions) {
      if (st.removal !== null) continue;
      const next = nextRoutingState(st.routing, routed.has(key));
      const changed = isReachable(next) !== isReachable(st.routing);
      st.routing = next;
      if (changed) autoscaler.upsertRevision(key, autoscalerInputOf(st.rev, isReachable(next)));
    }
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ graceMs: o.shutdownGraceMs }, 'control plane stopping');
      clearInterval(liveTimer);
      // New connections refused, in-flight requests (buffered ones included: pods may still start for them) finish.
      await engine.close(o.shutdownGraceMs);
      autoscaler.stop();
      scraper.close();
      activator.close();
      prober.close();
      // Every pod drained and gone; the orphan guard ends with it.
      await supervisor.close({ graceMs: o.shutdownGraceMs });
      revisions.clear();
      logger.info('control plane stopped');
    })();
    return stopping;
  };

  return {
    routerUrl,
    domain: o.domain,
    events,
    addRevision,
    removeRevision,
    revisionStatus,
    setRoutes,
    metricsText: () => activator.metrics?.registry.metrics() ?? Promise.resolve(''),
    stop,
  };
}
