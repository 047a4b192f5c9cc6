/**
 * The activator's Prometheus metrics, in a registry of its own (never prom-client's global one).
 *
 * Knative names where Knative has one (its activator exports OTel instruments; these are the names its Prometheus
 * exporter prints, `pkg/activator/handler/metrics.go` `newRequestMetrics`):
 *   kn_revision_request_queued{k8s_namespace_name,kn_revision_name}   gauge: waiting for capacity (buffered)
 *   kn_revision_request_active{k8s_namespace_name,kn_revision_name}   gauge: being proxied to a pod
 * kdp's own (Knative's request count and latency come from otelhttp, whose names depend on its version):
 *   kdp_activator_requests_total{…,http_response_status_code}         counter, every request resolved to a revision
 *   kdp_activator_request_duration_seconds{…}                          histogram, arrival → end, buffering included
 *   kdp_activator_cold_start_phase_seconds{…,phase}                    histogram, one observation per phase:
 *       pod_start   first buffered request → the runtime reports the pod started (0 if it already had)
 *       app_ready   pod started (or buffering began, if later) → queue-proxy probe passed
 *       first_byte  probe passed → first response byte of the first request sent to the pod
 *   kdp_activator_cold_start_seconds{…}                                histogram, first buffered request → first byte
 *
 * Queued and active are read from the throttlers when scraped, so the request path pays nothing for them. The
 * request count and latency are recorded into series handles made once per revision (and per status code on first
 * use), never per request (series-metrics.ts).
 */
import { Gauge, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from './series-metrics.js';
import type { CounterSeries } from './series-metrics.js';

export type ColdStartPhase = 'pod_start' | 'app_ready' | 'first_byte';
export const COLD_START_PHASES: readonly ColdStartPhase[] = Object.freeze(['pod_start', 'app_ready', 'first_byte']);

/** Request latency bounds: Knative's queue-proxy bounds up to 10 s, then up to the 600 s maximum revision timeout. */
export const REQUEST_DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300, 600,
]);

/** Cold starts: tens of milliseconds (a warm process) to minutes (image pulls on a cluster). */
export const COLD_START_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300,
]);

const NS = 'k8s_namespace_name';
const REV = 'kn_revision_name';
const STATUS = 'http_response_status_code';
const PHASE = 'phase';

/** Live counts read at scrape time. */
export interface RevisionLoad {
  readonly queued: number;
  readonly active: number;
}

/** One revision's metric handles. */
export interface RevisionMetrics {
  /** A request ended with `status` (0: the client left before any response) after `seconds` since arrival. */
  observeRequest(status: number, seconds: number): void;
  observeColdStartPhase(phase: ColdStartPhase, seconds: number): void;
  observeColdStart(seconds: number): void;
  /**
   * What the request duration histogram holds so far (read off the request path, for `kdp revision list -o wide`):
   * the number of requests and a copy of the per-bucket counts over `REQUEST_DURATION_BUCKETS_SECONDS` (+Inf last).
   */
  requestTotals(): RequestTotals;
  /** Drop the revision's series (it was deleted). */
  remove(): void;
}

export interface RequestTotals {
  readonly count: number;
  readonly buckets: readonly number[];
}

const NO_TOTALS: RequestTotals = Object.freeze({ count: 0, buckets: Object.freeze([]) });

export const NOOP_REVISION_METRICS: RevisionMetrics = Object.freeze({
  observeRequest: noop,
  observeColdStartPhase: noop,
  observeColdStart: noop,
  requestTotals: () => NO_TOTALS,
  remove: noop,
});

export interface ActivatorMetrics {
  readonly registry: Registry;
  /** Handles for a revision; `load` is read on every scrape until `remove()`. */
  forRevision(namespace: string, name: string, load: () => RevisionLoad): RevisionMetrics;
}

interface Source {
  readonly labels: Readonly<Record<string, string>>;
  readonly load: () => RevisionLoad;
}

export function createActivatorMetrics(registry: Registry = new Registry()): ActivatorMetrics {
  const sources = new Set<Source>();
  const registers = [registry];
  const queued = new Gauge({
    name: 'kn_revision_request_queued',
    help: 'Requests waiting in the activator for capacity (buffered)',
    labelNames: [NS, REV],
    registers,
    collect(): void {
      for (const s of sources) this.set(s.labels, s.load().queued);
    },
  });
  const active = new Gauge({
    name: 'kn_revision_request_active',
    help: 'Requests the activator is proxying to a pod',
    labelNames: [NS, REV],
    registers,
    collect(): void {
      for (const s of sources) this.set(s.labels, s.load().active);
    },
  });
  // The two metrics recorded on every request: series handles resolved at setup (series-metrics.ts).
  const requests = new SeriesCounter(
    'kdp_activator_requests_total',
    'Requests the activator handled for a revision, by response status (0: client left before a response)',
    registry,
  );
  const duration = new SeriesHistogram(
    'kdp_activator_request_duration_seconds',
    'Time from arrival at the activator to the end of the response, buffering included',
    REQUEST_DURATION_BUCKETS_SECONDS,
    registry,
  );
  const phases = new Histogram({
    name: 'kdp_activator_cold_start_phase_seconds',
    help: 'Cold start phases: pod_start (buffered to pod started), app_ready (to probe success), first_byte',
    labelNames: [NS, REV, PHASE],
    buckets: [...COLD_START_BUCKETS_SECONDS],
    registers,
  });
  const total = new Histogram({
    name: 'kdp_activator_cold_start_seconds',
    help: 'Time from the first buffered request of a cold revision to its first response byte',
    labelNames: [NS, REV],
    buckets: [...COLD_START_BUCKETS_SECONDS],
    registers,
  });

  return {
    registry,
    forRevision(namespace, name, load): RevisionMetrics {
      const labels = Object.freeze({ [NS]: namespace, [REV]: name });
      const source: Source = { labels, load };
      sources.add(source);
      const byStatus = new Map<number, CounterSeries>();
      const durationSeries = duration.series(labels);
      const phaseChildren = new Map(COLD_START_PHASES.map((p) => [p, phases.labels(namespace, name, p)] as const));
      const totalChild = total.labels(namespace, name);
      return {
        observeRequest(status, seconds): void {
          let c = byStatus.get(status);
          if (c === undefined) {
            // Once per status code and revision; statuses are 0 or 100-999, so the map stays small.
            c = requests.series({ ...labels, [STATUS]: String(status) });
            byStatus.set(status, c);
          }
          c.inc();
          durationSeries.observe(seconds);
        },
        observeColdStartPhase(phase, seconds): void {
          phaseChildren.get(phase)?.observe(seconds);
        },
        observeColdStart(seconds): void {
          totalChild.observe(seconds);
        },
        requestTotals(): RequestTotals {
          return { count: durationSeries.count, buckets: Array.from(durationSeries.counts) };
        },
        remove(): void {
          if (!sources.delete(source)) return;
          queued.remove(labels);
          active.remove(labels);
          for (const c of byStatus.values()) requests.remove(c);
          duration.remove(durationSeries);
          for (const p of COLD_START_PHASES) phases.remove(namespace, name, p);
          total.remove(labels);
        },
      };
    },
  };
}

function noop(): void {}
