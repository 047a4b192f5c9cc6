/**
 * The data path's components and the loop between them (control-plane.ts draws it):
 *
 *   activator ──1 s reports + immediate poke──▶ autoscaler ◀──1 s scrape of each ready pod's Stat port (scraper)
 *   autoscaler.onDesiredScale ──▶ supervisor.scale ──podStarted/podStopping/podStopped──▶ pod table + activator
 *
 * Nothing here starts a timer or a listener: the activator's and autoscaler's ticks start once the router listens
 * (control-plane.ts), and `closeDataPath` (shutdown.ts) ends them.
 */
import { createActivator, createHttpProber } from '@kdp/activator';
import type { Activator, HttpProber } from '@kdp/activator';
import { Autoscaler, HttpStatsScraper } from '@kdp/autoscaler';
import type { AutoscalerConfig } from '@kdp/autoscaler';
import { Supervisor } from '@kdp/runtime';
import type { PodStartedEvent } from '@kdp/runtime';
import type { Emit } from './events.js';
import type { ResolvedOptions } from './options.js';
import { PodTable } from './pod-table.js';
import type { PlatformPod } from './pod-table.js';

/**
 * How often the activator re-probes a starting pod. Knative's activator uses 200 ms, kdp's standalone activator
 * 50 ms. Here pods are local: until the queue-proxy listens a probe is a refused loopback connect (~30 µs), and once
 * it listens the queue-proxy holds the probe until the app is ready (aggressive mode), so polling faster only cuts
 * the cold start by up to the interval, at no real cost.
 */
const LOCAL_PROBE_INTERVAL_MS = 10;

export interface DataPath {
  /** Runs each revision's pods (queue-proxy + user process) as child processes. */
  readonly supervisor: Supervisor;
  /** The pods the runtime announced, with their ports and readiness. */
  readonly pods: PodTable;
  readonly prober: HttpProber;
  /** Every request of the local platform goes through it (the router's revision handler). */
  readonly activator: Activator;
  readonly scraper: HttpStatsScraper;
  readonly autoscaler: Autoscaler;
}

export interface DataPathDeps {
  readonly o: ResolvedOptions;
  readonly autoscalerConfig: AutoscalerConfig;
  readonly emit: Emit;
  /** A pod passed the activator's readiness probe for the first time. */
  readonly onPodReady: (pod: PlatformPod) => void;
}

export function wireDataPath({ o, autoscalerConfig, emit, onPodReady }: DataPathDeps): DataPath {
  const { logger, clock, source: options } = o;
  const supervisor = new Supervisor({
    queueProxyCommand: o.queueProxyCommand,
    env: o.env,
    logger,
    clock,
    queueProxyEnv: { drainQuietPeriodSeconds: o.drainQuietPeriodSeconds },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.logSink === undefined ? {} : { logSink: options.logSink }),
  });

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

  return { supervisor, pods, prober, activator, scraper, autoscaler };
}
