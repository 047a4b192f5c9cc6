/**
 * Wires the activator's parts for either host: the local platform (in-process, `handle(ex, revKey)`) and the
 * standalone server (run.ts). Builds nothing global; every dependency can be injected.
 */
import type { Exchange, ExchangeHandler, Logger } from '@kdp/core';
import type { Registry } from 'prom-client';
import { systemClock } from './clock.js';
import type { Clock, Rng } from './clock.js';
import { createActivatorHandler } from './handler.js';
import { createActivatorMetrics } from './metrics.js';
import type { ActivatorMetrics } from './metrics.js';
import { createHttpProber } from './prober.js';
import type { HttpProber, ProbeFn } from './prober.js';
import { ConcurrencyReporter } from './reporter.js';
import type { AutoscalerSink } from './reporter.js';
import { Revisions } from './revisions.js';

export interface ActivatorOptions {
  readonly logger: Logger;
  /** Where per-revision stats and pokes go (the autoscaler). */
  readonly sink: AutoscalerSink;
  readonly clock?: Clock;
  readonly rng?: Rng;
  /** Metrics registry; a fresh one by default, `null` for no metrics. */
  readonly registry?: Registry | null;
  /** Replaces the node:http queue-proxy probe (tests). */
  readonly probe?: ProbeFn;
  readonly maxBuffered?: number;
  readonly retryAfterSeconds?: number;
  readonly probeIntervalMs?: number;
  readonly probeTimeoutMs?: number;
  readonly probeGiveUpMs?: number;
  readonly maxIdlePerPod?: number;
  readonly reportIntervalMs?: number;
  readonly clusterDomain?: string;
}

export interface Activator {
  /** Revision table and runtime events (`upsert`, `remove`, `podStarted`, `podStopping`, `podStopped`). */
  readonly revisions: Revisions;
  readonly reporter: ConcurrencyReporter;
  readonly metrics: ActivatorMetrics | null;
  /** In-process entry point: serve `ex` for revision `namespace/name`; it owns `ex.state` and `ex.onFinish`. */
  readonly handle: (ex: Exchange, revKey: string) => void;
  /** Standalone entry point (revision from headers or Host). */
  readonly handler: ExchangeHandler;
  /** Kubelet probes answer 503 from now on. */
  drain(): void;
  readonly draining: boolean;
  /** Start the 1 s stats reports. */
  start(): void;
  /** Stop reporting and probing; buffered requests get 404. In-flight requests are not touched. */
  close(): void;
}

export function createActivator(opts: ActivatorOptions): Activator {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger;
  const registry = opts.registry;
  const metrics = registry === null ? null : createActivatorMetrics(registry);
  let probe = opts.probe;
  let prober: HttpProber | null = null;
  if (probe === undefined) {
    prober = createHttpProber();
    probe = prober.probe;
  }
  const revisions = new Revisions({
    clock,
    logger,
    probe,
    metrics,
    ...optional('rng', opts.rng),
    ...optional('maxBuffered', opts.maxBuffered),
    ...optional('probeIntervalMs', opts.probeIntervalMs),
    ...optional('probeTimeoutMs', opts.probeTimeoutMs),
    ...optional('probeGiveUpMs', opts.probeGiveUpMs),
    ...optional('maxIdlePerPod', opts.maxIdlePerPod),
  });
  const reporter = new ConcurrencyReporter({ sink: opts.sink, clock, ...optional('intervalMs', opts.reportIntervalMs) });
  const h = createActivatorHandler({
    revisions,
    reporter,
    clock,
    logger,
    ...optional('clusterDomain', opts.clusterDomain),
    ...optional('retryAfterSeconds', opts.retryAfterSeconds),
  });
  return {
    revisions,
    reporter,
    metrics,
    handle: h.handle,
    handler: h.handler,
    drain: () => h.drain(),
    get draining(): boolean {
      return h.draining;
    },
    start: () => reporter.start(),
    close(): void {
      reporter.stop();
      revisions.close();
      prober?.close();
    },
  };
}

/** `{ [key]: value }` when defined, `{}` otherwise: passes options through under exactOptionalPropertyTypes. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
