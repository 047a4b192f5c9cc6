/**
 * The activator on a Knative cluster (cmd/activator/main.go's wiring, beside run.ts's table mode): the durable
 * websocket to the autoscaler as the stats sink, the Kubernetes informers as the revision source, the logging
 * config map, and Knative's health check around the activator's handler:
 *  - kubelet probes answer 500 until the autoscaler websocket is connected (`connection has not yet been
 *    established`, main.go `newHealthCheck`) and, a kdp addition, until the informers have listed once (Knative
 *    does not listen before that); after SIGTERM it fails at once with 500 `shutting down`, as Knative's;
 *  - a request for a revision the informer has not delivered is looked up with a GET before it is refused (404 only
 *    if the API says NotFound; 500 `Error getting active endpoint: …` for any other API error, as context_handler.go).
 */
import { errorHeaders, isKubeletProbe } from '@kdp/core';
import type { Exchange, ExchangeHandler, Logger, LogLevel } from '@kdp/core';
import { isLogLevel } from '@kdp/core';
import { Informer, KubeClient } from '@kdp/kube';
import type { KubeObject } from '@kdp/kube';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Activator } from './activator.js';
import { AutoscalerConnection } from './autoscaler-connection.js';
import { createWebsocketSink } from './autoscaler-sink.js';
import type { KubernetesConfig } from './config.js';
import { KubernetesSource } from './kube-source.js';
import type { AutoscalerSink } from './reporter.js';
import { revisionIdOf } from './revision-id.js';
import { revisionKey } from './revisions.js';

export interface ClusterModeOptions {
  readonly config: KubernetesConfig;
  readonly podName: string;
  readonly clusterDomain: string;
  readonly logger: Logger;
  /** Informer retry start (tests shorten it). */
  readonly initialBackoffMs?: number;
}

export interface ClusterMode {
  /** The stats sink to build the activator with. */
  readonly sink: AutoscalerSink;
  readonly connection: AutoscalerConnection;
  /** Set by `attach`. */
  source: KubernetesSource | null;
  /** Start the websocket, informers and config watch; returns the handler to serve with. */
  attach(activator: Activator, registry: Registry): ExchangeHandler;
  /** Stop everything (after the listeners drained). */
  close(): void;
}

const TEXT_500 = errorHeaders('upstream-error');
const TEXT = Object.freeze(['Content-Type', 'text/plain; charset=utf-8']);

export function createClusterMode(opts: ClusterModeOptions): ClusterMode {
  const { config, logger } = opts;
  let reachable: Gauge | null = null;
  let connErrors: Counter | null = null;
  const connection = new AutoscalerConnection({
    url: config.autoscalerUrl,
    logger,
    onState: (up) => {
      reachable?.set({ peer: 'autoscaler' }, up ? 1 : 0);
      if (!up) connErrors?.inc({ peer: 'autoscaler' });
    },
  });
  const sink = createWebsocketSink(connection, opts.podName);
  let configMaps: Informer<KubeObject & { data?: Record<string, string> }> | null = null;

  const mode: ClusterMode = {
    sink,
    connection,
    source: null,
    attach(activator: Activator, registry: Registry): ExchangeHandler {
      // Knative's names (pkg/activator/metrics.go), as Prometheus renders OpenTelemetry's.
      reachable = new Gauge({
        name: 'kn_activator_stats_conn_reachable',
        help: 'Whether the activator is connected to the autoscaler (1) or not (0)',
        labelNames: ['peer'],
        registers: [registry],
      });
      reachable.set({ peer: 'autoscaler' }, 0);
      connErrors = new Counter({
        name: 'kn_activator_stats_conn_errors_total',
        help: 'Times the activator lost its autoscaler connection',
        labelNames: ['peer'],
        registers: [registry],
      });
      const client = new KubeClient(config.connection);
      const source = new KubernetesSource({
        client,
        revisions: activator.revisions,
        logger,
        podIp: config.podIp,
        ...(opts.initialBackoffMs === undefined ? {} : { initialBackoffMs: opts.initialBackoffMs }),
      });
      mode.source = source;
      connection.start();
      source.start().then(
        () => logger.info({ endpointsApi: source.endpointsApi, revisions: activator.revisions.keys().length }, 'informers synced'),
        (err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'informers failed to start'),
      );
      configMaps = watchLogLevel(client, config, logger, opts.initialBackoffMs);

      const inner = activator.handler;
      const clusterDomain = opts.clusterDomain;
      const serveLookedUp = (ex: Exchange, err: Error | null): void => {
        if (ex.finished) return;
        if (err === null) {
          inner(ex);
          return;
        }
        ex.respond(500, TEXT_500, `Error getting active endpoint: ${err.message}\n`);
      };
      return (ex) => {
        if (isKubeletProbe(ex)) {
          if (activator.draining) {
            // Knative's health check fails with 500 "shutting down" once the signal arrived (cmd/activator/main.go).
            ex.respond(500, TEXT, 'shutting down\n');
            return;
          }
          if (!connection.connected) {
            ex.respond(500, TEXT, 'connection has not yet been established\n');
            return;
          }
          if (!source.synced) {
            ex.respond(500, TEXT, 'informers have not synced yet\n');
            return;
          }
          inner(ex);
          return;
        }
        const probe = ex.header('k-network-probe');
        if (probe === undefined || probe === '') {
          const id = revisionIdOf(ex, clusterDomain);
          if (id.name !== '' && id.namespace !== '' && activator.revisions.get(revisionKey(id.namespace, id.name)) === undefined) {
            source.lookup(id.namespace, id.name).then(
              () => serveLookedUp(ex, null),
              (err: unknown) => serveLookedUp(ex, err instanceof Error ? err : new Error(String(err))),
            );
            return;
          }
        }
        inner(ex);
      };
    },
    close(): void {
      configMaps?.stop();
      mode.source?.close();
      connection.close();
    },
  };
  return mode;
}

/** config-logging `loglevel.activator` sets the level at run time (knative/pkg logging.UpdateLevelFromConfigMap). */
function watchLogLevel(
  client: KubeClient,
  config: KubernetesConfig,
  logger: Logger,
  initialBackoffMs: number | undefined,
): Informer<KubeObject & { data?: Record<string, string> }> {
  const apply = (cm: KubeObject & { data?: Record<string, string> }): void => {
    if (cm.metadata.name !== config.loggingConfigMap) return;
    const raw = cm.data?.['loglevel.activator'];
    if (raw === undefined || raw === '') return;
    // zap's dpanic/panic map to pino's fatal, its nearest level.
    const level: string = raw === 'dpanic' || raw === 'panic' ? 'fatal' : raw;
    if (!isLogLevel(level)) {
      logger.warn({ configMap: config.loggingConfigMap, level: raw }, 'unknown loglevel.activator; level unchanged');
      return;
    }
    if (logger.level !== level) {
      logger.level = level satisfies LogLevel;
      logger.info({ level }, 'log level changed from the logging config map');
    }
  };
  const informer = new Informer<KubeObject & { data?: Record<string, string> }>({
    client,
    path: `/api/v1/namespaces/${encodeURIComponent(config.systemNamespace)}/configmaps`,
    fieldSelector: `metadata.name=${config.loggingConfigMap}`,
    logger,
    ...(initialBackoffMs === undefined ? {} : { initialBackoffMs }),
    handlers: { added: apply, updated: apply, deleted: () => undefined },
  });
  void informer.start();
  return informer;
}
