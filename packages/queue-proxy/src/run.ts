/**
 * The queue-proxy's one composition root (`S:pkg/queue/sharedmain/main.go#Main`): parse the environment once,
 * build every part, listen, report stats every second, and drain on SIGTERM.
 */
import { performance } from 'node:perf_hooks';
import type http from 'node:http';
// Subpath imports, not the '@kdp/core' barrel: the barrel would also load what this process never needs at start
// (protobufjs, node:http2), and startup time is cold-start time (bench/results/cold-start.md).
import { Breaker } from '@kdp/core/breaker';
import { Drainer } from '@kdp/core/drainer';
import { ConfigError, KDP_ERRORS } from '@kdp/core/errors';
import { Upstream } from '@kdp/core/http/upstream';
import { Http1Engine } from '@kdp/core/http1/engine';
import { lazyFallbackEngine } from '@kdp/core/fallback/lazy';
import { DeferredLogger, jsonLineSink } from '@kdp/core/deferred-logger';
import type { LogSink } from '@kdp/core/deferred-logger';
import { RequestStats } from '@kdp/core/request-stats';
import { shutdownOnSignals } from '@kdp/core/signals';
import { parseConfig } from './config.js';
import type { Config } from './config.js';
import { createQueueHandler } from './handler.js';
import { ReadinessProber } from './health/prober.js';
import { closeServer, createAdminServer, createStatsServer, createUserMetricsServer } from './servers.js';
import { listenOn as listen } from '@kdp/core/http/listen';
import { StatsReporter } from './stats-reporter.js';
import { LateMetrics } from './late-metrics.js';
import { createLegacyRequestMetrics } from './legacy-metrics.js';

/**
 * Work moved off the startup path (pino, prom-client, protobufjs: ~20-35 ms each) runs this long after the
 * listeners are up, so that it does not compete with the first requests of a cold start either (those arrive within
 * milliseconds of readiness). A scrape that needs a module earlier loads it on demand.
 */
const DEFERRED_LOAD_MS = 300;

function deferred(fn: () => void): void {
  setTimeout(fn, DEFERRED_LOAD_MS).unref();
}

/** Knative waits up to 60 s for hijacked (websocket) connections after Shutdown (`hijackDrainDuration`). */
const HIJACK_DRAIN_MS = 60_000;

export interface QueueProxy {
  readonly config: Config;
  readonly ports: { readonly serving: number; readonly admin: number; readonly metrics: number; readonly userMetrics: number | null };
  /** Drain (health checks fail at once, quiet period), then close everything. Resolves when done. */
  shutdown(): Promise<void>;
}

export async function startQueueProxy(config: Config, logger: LogSink): Promise<QueueProxy> {
  const started = performance.now();
  const cc = config.containerConcurrency;
  const upstream = new Upstream({
    host: config.userHost,
    port: config.userPort,
    // `S:pkg/queue/sharedmain/main.go#buildTransport`: idle pool of CC, or 1000 when unlimited.
    maxIdle: cc > 0 ? cc : 1000,
  });
  // `S:pkg/queue/sharedmain/main.go#buildBreaker`: queue depth 10·CC; no breaker at all when CC is 0.
  const breaker = cc > 0 ? new Breaker({ queueDepth: 10 * cc, maxConcurrency: cc, initialCapacity: cc }) : null;
  const stats = new RequestStats(started);
  const reporter = new StatsReporter(stats, config.servingPod, () => performance.now(), started);
  // A quiet period of 0 means "close at once"; the Drainer needs a positive timer, 1 ms is that.
  const drainer = new Drainer({ quietPeriodMs: Math.max(1, config.drainQuietPeriodMs), clock: { setTimeout, clearTimeout } });
  const prober = new ReadinessProber(config.readinessProbes, { logger });
  // prom-client is loaded only when the Prometheus endpoint is on (~5 MB of RSS in every pod otherwise), and then
  // after the listeners are up: startup is cold-start latency. Until it loads, observations are dropped.
  // Knative 1.12-1.18's OpenCensus names need no prom-client: that registry is small and built here, at once.
  const legacyMetrics =
    config.userMetricsEnabled && config.userMetricsFormat === 'opencensus'
      ? createLegacyRequestMetrics({
          namespace: config.servingNamespace,
          service: config.servingService,
          configuration: config.servingConfiguration,
          revision: config.servingRevision,
          pod: config.servingPod,
        })
      : null;
  const metrics = config.userMetricsEnabled && legacyMetrics === null ? new LateMetrics() : null;
  const loadMetrics = (): void => {
    if (metrics === null || metrics.attached) return;
    metrics.attach(
      import('./metrics.js').then((m) =>
        m.createQueueMetrics({
          namespace: config.servingNamespace,
          service: config.servingService,
          configuration: config.servingConfiguration,
          revision: config.servingRevision,
          pod: config.servingPod,
        }),
      ),
    );
  };
  if (metrics !== null) metrics.onDemand = loadMetrics;

  const handler = createQueueHandler({
    upstream,
    breaker,
    stats,
    drainer,
    prober,
    metrics: legacyMetrics ?? metrics,
    requestMetrics: legacyMetrics,
    timeouts: {
      totalMs: config.revisionTimeoutMs,
      responseStartMs: config.responseStartTimeoutMs,
      idleMs: config.idleTimeoutMs,
      message: KDP_ERRORS.KDP_ERR_TIMEOUT.message,
    },
    requestLog: config.requestLog ? logger : null,
  });
  const fallback = lazyFallbackEngine({ handler });
  const engine = new Http1Engine({ handler, fallback });

  let terminating = false;
  const admin = createAdminServer(drainer, () => terminating);
  const statsServer = createStatsServer(reporter.current);
  const userMetricsRegistry = legacyMetrics ?? metrics;
  const userMetricsServer = userMetricsRegistry === null ? null : createUserMetricsServer(userMetricsRegistry);
  const side: http.Server[] = [admin, statsServer];
  if (userMetricsServer !== null) side.push(userMetricsServer);

  const host = config.bindHost;
  const [serving, adminPort, metricsPort, userMetricsPort] = await Promise.all([
    engine.listen(config.servingPort, host),
    listen(admin, config.adminPort, host),
    listen(statsServer, config.metricsPort, host),
    userMetricsServer === null ? Promise.resolve(null) : listen(userMetricsServer, config.userMetricsPort, config.userMetricsHost),
  ]);
  reporter.start(DEFERRED_LOAD_MS);
  deferred(loadMetrics);

  let shutdown: Promise<void> | null = null;
  return {
    config,
    ports: { serving, admin: adminPort, metrics: metricsPort, userMetrics: userMetricsPort },
    shutdown(): Promise<void> {
      shutdown ??= (async () => {
        terminating = true;
        logger.info({ quietPeriodMs: config.drainQuietPeriodMs }, 'draining');
        await drainer.drain();
        logger.info({}, 'drained; closing listeners and waiting for in-flight requests');
        await engine.close(config.revisionTimeoutMs + HIJACK_DRAIN_MS);
        reporter.stop();
        await Promise.all(side.map(closeServer));
        upstream.close();
        logger.info({}, 'stopped');
      })();
      return shutdown;
    },
  };
}

/** The binary's whole life: config → start → signals → exit code. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: Config;
  try {
    config = parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines) process.stderr.write(`${line}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  // pino loads after the listeners are up (see DeferredLogger): startup is cold-start latency.
  const bindings = { revision: config.servingRevision, namespace: config.servingNamespace, pod: config.servingPod };
  const logger = new DeferredLogger(jsonLineSink({ name: 'queue-proxy', level: config.logLevel, bindings }));
  const attachLogger = (): void => {
    import('@kdp/core/logger').then(
      (m) =>
        logger.attach(
          m.createLogger({
            name: 'queue-proxy',
            level: config.logLevel,
            bindings,
          }),
        ),
      (err: unknown) => process.stderr.write(`cannot load the logger: ${String(err)}\n`),
    );
  };
  let qp: QueueProxy;
  try {
    qp = await startQueueProxy(config, logger);
  } catch (err) {
    // A port in use or similar: Knative's Main returns the server error and exits 1. Exit now: listeners that
    // did start would otherwise keep the process alive.
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  // Signal handlers first: whoever waits for the "ready" line may send SIGTERM the moment it reads it.
  shutdownOnSignals({ logger, shutdown: () => qp.shutdown() });
  deferred(attachLogger);
  // What the environment asks for that kdp does not do (Knative starts in these cases too), one line each.
  for (const warning of config.warnings) logger.warn({ knativeGeneration: config.knativeGeneration }, warning);
  logger.info({ ports: qp.ports, containerConcurrency: config.containerConcurrency, knativeGeneration: config.knativeGeneration }, 'queue-proxy ready');
}
