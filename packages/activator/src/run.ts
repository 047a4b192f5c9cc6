/**
 * The standalone activator's one composition root (Knative cmd/activator/main.go): parse the environment, build the
 * activator, load the revision table, listen, report stats every second, and drain on SIGTERM: kubelet probes fail
 * at once, requests are still served for the drain period (Knative sleeps `DefaultDrainTimeout`, 45 s, so the
 * endpoints can drop it), then the listener closes and in-flight requests get the grace period to finish.
 */
import http from 'node:http';
import { Http1Engine, createFallbackEngine, createLogger, listenOn as listen, shutdownOnSignals } from '@kdp/core';
import type { Logger } from '@kdp/core';
import { Registry } from 'prom-client';
import { createActivator } from './activator.js';
import type { Activator } from './activator.js';
import { parseConfig } from './config.js';
import type { Config } from './config.js';
import { revisionKey } from './revisions.js';
import type { AutoscalerSink } from './reporter.js';

export interface StandaloneActivator {
  readonly config: Config;
  readonly activator: Activator;
  readonly ports: { readonly serving: number; readonly metrics: number };
  /** Drain (probes fail, keep serving for `drainMs`), then close. Resolves when done; idempotent. */
  shutdown(): Promise<void>;
}

export interface StartOptions {
  /** Where stats go; default: logged at debug level (kdp has no websocket sink to Knative's autoscaler yet). */
  readonly sink?: AutoscalerSink;
}

export async function startActivator(config: Config, logger: Logger, opts: StartOptions = {}): Promise<StandaloneActivator> {
  const sink: AutoscalerSink = opts.sink ?? {
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

  // HTTP/1.0, Expect, websockets and h2c go to the node:http/http2 fallback on the same port, as in the queue-proxy.
  const engine = new Http1Engine({ handler: activator.handler, fallback: createFallbackEngine({ handler: activator.handler }) });
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
  try {
    [serving, metricsPort] = await Promise.all([
      engine.listen(config.port, config.bindHost),
      listen(metricsServer, config.metricsPort, config.bindHost),
    ]);
  } catch (err) {
    activator.close();
    await engine.close(0);
    metricsServer.close();
    throw err;
  }
  activator.start();

  let done: Promise<void> | null = null;
  return {
    config,
    activator,
    ports: { serving, metrics: metricsPort },
    shutdown(): Promise<void> {
      done ??= (async () => {
        activator.drain();
        logger.info({ drainMs: config.drainMs }, 'draining: probes fail, requests are still served');
        if (config.drainMs > 0) await new Promise((r) => setTimeout(r, config.drainMs));
        logger.info({ graceMs: config.shutdownGraceMs }, 'closing the listener; waiting for in-flight requests');
        await engine.close(config.shutdownGraceMs);
        activator.close();
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
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
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
  logger.info({ ports: act.ports, revisions: config.revisions.length, clusterDomain: config.clusterDomain }, 'activator ready');
}

