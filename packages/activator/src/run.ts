/**
 * The standalone activator's one composition root (Knative cmd/activator/main.go): parse the environment, build the
 * activator, load the revision table, listen, report stats every second, and drain on SIGTERM: kubelet probes fail
 * at once, requests are still served for the drain period (Knative sleeps `DefaultDrainTimeout`, 45 s, so the
 * endpoints can drop it), then the listener closes and in-flight requests get the grace period to finish.
 */
import http from 'node:http';
import { ConfigError, Http1Engine, createFallbackEngine, createLogger, listenOn as listen, shutdownOnSignals } from '@kdp/core';
import type { Logger } from '@kdp/core';
import { Registry } from 'prom-client';
import { createActivator } from './activator.js';
import { createClusterMode } from './cluster.js';
import type { ClusterMode } from './cluster.js';
import type { Activator } from './activator.js';
import { parseConfig } from './config.js';
import type { Config } from './config.js';
import { revisionKey } from './revisions.js';
import type { AutoscalerSink } from './reporter.js';

export interface StandaloneActivator {
  readonly config: Config;
  readonly activator: Activator;
  /** `h2c` is Knative's second listener (8013), cluster mode only; 0 otherwise. */
  readonly ports: { readonly serving: number; readonly h2c: number; readonly metrics: number };
  /** Cluster mode: the autoscaler connection and Kubernetes source; null in table mode. */
  readonly cluster: ClusterMode | null;
  /** Drain (probes fail, keep serving for `drainMs`), then close. Resolves when done; idempotent. */
  shutdown(): Promise<void>;
}

export interface StartOptions {
  /** Where stats go; default: the autoscaler websocket in cluster mode, logged at debug level in table mode. */
  readonly sink?: AutoscalerSink;
  /** Cluster mode: first informer retry delay (tests). */
  readonly kubeInitialBackoffMs?: number;
}

export async function startActivator(config: Config, logger: Logger, opts: StartOptions = {}): Promise<StandaloneActivator> {
  const cluster =
    config.kubernetes === null
      ? null
      : createClusterMode({
          config: config.kubernetes,
          podName: config.podName,
          clusterDomain: config.clusterDomain,
          logger,
          ...(opts.kubeInitialBackoffMs === undefined ? {} : { initialBackoffMs: opts.kubeInitialBackoffMs }),
        });
  const sink: AutoscalerSink = opts.sink ??
    cluster?.sink ?? {
      report: (revision, stat) => logger.debug({ revision, ...stat }, 'stat'),
      poke: (revision) => logger.debug({ revision }, 'poke'),
    };
  const registry = new Registry();
  const activator = createActivator({
    logger,
    sink,
    registry,
    clusterDomain: config.clusterDomain,
    maxBuffered: config.maxBuffered,
    probeIntervalMs: config.probeIntervalMs,
    probeTimeoutMs: config.probeTimeoutMs,
    probeGiveUpMs: config.probeGiveUpMs,
  });
  for (const rev of config.revisions) {
    activator.revisions.upsert(rev);
    const key = revisionKey(rev.namespace, rev.name);
    for (const pod of rev.pods) activator.revisions.podStarted(key, pod.id, pod.host, pod.port);
  }

  const handler = cluster === null ? activator.handler : cluster.attach(activator, registry);
  // HTTP/1.0, Expect, websockets and h2c go to the node:http/http2 fallback on the same port, as in the queue-proxy.
  const engine = new Http1Engine({ handler, fallback: createFallbackEngine({ handler }) });
  // Knative's h2c port (8013) in cluster mode: the same handler; prior-knowledge h2c is detected on either port.
  const h2cEngine = cluster === null ? null : new Http1Engine({ handler, fallback: createFallbackEngine({ handler }) });
  const metricsServer = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (err: unknown) => {
        logger.warn({ err }, 'metrics collection failed');
        res.writeHead(500).end();
      },
    );
  });

  let serving: number;
  let metricsPort: number;
  let h2cPort = 0;
  try {
    [serving, metricsPort, h2cPort] = await Promise.all([
      engine.listen(config.port, config.bindHost),
      listen(metricsServer, config.metricsPort, config.bindHost),
      h2cEngine === null ? Promise.resolve(0) : h2cEngine.listen(config.h2cPort, config.bindHost),
    ]);
  } catch (err) {
    activator.close();
    cluster?.close();
    await Promise.all([engine.close(0), h2cEngine?.close(0)]);
    metricsServer.close();
    throw err;
  }
  activator.start();

  let done: Promise<void> | null = null;
  return {
    config,
    activator,
    ports: { serving, h2c: h2cPort, metrics: metricsPort },
    cluster,
    shutdown(): Promise<void> {
      done ??= (async () => {
        activator.drain();
        logger.info({ drainMs: config.drainMs }, 'draining: probes fail, requests are still served');
        if (config.drainMs > 0) await new Promise((r) => setTimeout(r, config.drainMs));
        logger.info({ graceMs: config.shutdownGraceMs }, 'closing the listener; waiting for in-flight requests');
        // Informers and the autoscaler link stay up until here: buffered requests still need pods, and stats flow.
        await Promise.all([engine.close(config.shutdownGraceMs), h2cEngine?.close(config.shutdownGraceMs)]);
        activator.close();
        cluster?.close();
        metricsServer.closeAllConnections();
        await new Promise<void>((r) => metricsServer.close(() => r()));
        logger.info('stopped');
      })();
      return done;
    },
  };
}

/** The binary's whole life: config → start → signals → exit code. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: Config;
  try {
    config = parseConfig(env);
  } catch (err) {
    // One stderr line per problem, as the queue-proxy reports its configuration.
    process.stderr.write(err instanceof ConfigError ? `${err.lines.join('\n')}\n` : `${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  const logger = createLogger({ name: 'activator', level: config.logLevel, bindings: { pod: config.podName } });
  let act: StandaloneActivator;
  try {
    act = await startActivator(config, logger);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  // Signal handlers first: whoever waits for the "ready" line may send SIGTERM the moment it reads it.
  shutdownOnSignals({ logger, shutdown: () => act.shutdown() });
  const k = config.kubernetes;
  logger.info(
    k === null
      ? { ports: act.ports, revisions: config.revisions.length, clusterDomain: config.clusterDomain }
      : { ports: act.ports, mode: 'kubernetes', api: k.connection.server, credentials: k.connection.source, autoscaler: k.autoscalerUrl, clusterDomain: config.clusterDomain },
    'activator ready',
  );
}

