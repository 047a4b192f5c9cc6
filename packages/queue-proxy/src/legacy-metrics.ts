// The request metrics Knative 1.12-1.18 serve on 9091 for SERVING_REQUEST_METRICS_BACKEND=prometheus, in the
// text their OpenCensus Prometheus exporter prints, so dashboards and alerts written for those releases keep working.
//
// Sources (all at knative-v1.18.2; unchanged since 1.12):
//  - S:pkg/queue/request_metric.go: the five measures, their views, tag keys and histogram bounds; the request-level
//    pair (revision_request_*) is recorded around the whole chain below the drainer, with the route tag; the app-level
//    pair (revision_app_request_*) and the queue depth inside the breaker slot, without it. Probes are not recorded.
//  - S:pkg/metrics/tags.go, key.go: tag keys pod_name, container_name ("queue-proxy"), response_code,
//    response_code_class ("2xx"), route_tag; the knative_revision resource namespace_name, service_name ("unknown"
//    when empty), configuration_name, revision_name.
//  - S:pkg/queue/sharedmain/main.go#setupMetricsExporter: component "revision", the exporter's namespace, so every
//    name starts with `revision_`.
//  - vendor/contrib.go.opencensus.io/exporter/prometheus/prometheus.go: resource labels become const labels of
//    every series; Count views are counters (no `_total`), Distribution views histograms, LastValue gauges; a tag
//    missing from a recording is an empty label value (so revision_queue_depth carries response_code="").
//  - vendor/go.opencensus.io/stats/view/aggregation_data.go#addToBucket: a value goes to the first bucket whose
//    bound is strictly greater (Prometheus `le` is <=, so a 5 ms request counts from le="10" up, as in Knative).
//  - vendor/github.com/prometheus/common/expfmt/text_create.go and client_golang's registry: label pairs sorted by
//    name, families by name, series by label values; numbers printed as Go's strconv 'g' shortest.
// Latencies are whole milliseconds, truncated (`float64(latency.Milliseconds())`).
//
// Request path: each series is one preallocated Float64Array, found with at most two Map lookups keyed by strings
// and numbers the caller already holds; nothing is allocated per request once a series exists.
import type { RequestMetrics } from './handler.js';
import type { TextRegistry } from './servers.js';

/** S:pkg/queue/request_metric.go#defaultLatencyDistribution, milliseconds. */
export const LEGACY_LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  5, 10, 20, 40, 60, 80, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 2000, 5000, 10000, 20000, 50000, 100000,
]);

const REQUEST_COUNT = 'revision_request_count';
const REQUEST_LATENCIES = 'revision_request_latencies';
const APP_REQUEST_COUNT = 'revision_app_request_count';
const APP_REQUEST_LATENCIES = 'revision_app_request_latencies';
const QUEUE_DEPTH = 'revision_queue_depth';
const HELP = {
  [REQUEST_COUNT]: 'The number of requests that are routed to queue-proxy',
  [REQUEST_LATENCIES]: 'The response time in millisecond',
  [APP_REQUEST_COUNT]: 'The number of requests that are routed to user-container',
  [APP_REQUEST_LATENCIES]: 'The response time in millisecond',
  [QUEUE_DEPTH]: 'The number of items queued at this queue proxy.',
} as const;

/** S:pkg/queue/request_metric.go#GetRouteTagNameFromRequest's three fixed values. */
export const ROUTE_TAG_DISABLED = 'DISABLED';
export const ROUTE_TAG_DEFAULT = 'DEFAULT';
export const ROUTE_TAG_UNDEFINED = 'UNDEFINED';
/**
 * kdp's bound on distinct route tags (Knative has none): the tag comes from a request header, and every distinct
 * value is a series held for the life of the pod. Tags beyond the bound are counted under this value.
 */
export const ROUTE_TAG_OVERFLOW = 'kdp_overflow';
/** Distinct route_tag values, DISABLED and the overflow included. */
const MAX_ROUTE_TAGS = 256;

/** S:pkg/queue/request_metric.go#GetRouteTagNameFromRequest, from `Knative-Serving-Tag` and `Knative-Serving-Default-Route`. */
export function routeTagOf(tag: string | undefined, defaultRoute: string | undefined): string {
  if (tag === undefined || tag === '') return defaultRoute === undefined || defaultRoute === '' ? ROUTE_TAG_DISABLED : ROUTE_TAG_DEFAULT;
  return defaultRoute === 'true' ? ROUTE_TAG_UNDEFINED : tag;
}

export interface LegacyMetricsLabels {
  readonly namespace: string;
  readonly service: string;
  readonly configuration: string;
  readonly revision: string;
  readonly pod: string;
}

export interface LegacyRequestMetrics extends RequestMetrics, TextRegistry {
  /**
   * One request that passed the drainer and is not a probe (revision_request_*): its route tag (`routeTagOf`),
   * final status, and milliseconds since its head arrived.
   */
  observeRequest(routeTag: string, status: number, ms: number): void;
}

const BUCKETS = LEGACY_LATENCY_BOUNDS_MS.length;
// A series' Float64Array: one non-cumulative slot per bound, one past the last bound (+Inf), then sum, then count.
const SUM = BUCKETS + 1;
const COUNT = BUCKETS + 2;
const SLOTS = COUNT + 1;
const BOUNDS = Float64Array.from(LEGACY_LATENCY_BOUNDS_MS);

/** Statuses whose series exist from the start, so recording them never allocates. */
const COMMON_STATUS_CODES: readonly number[] = [200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 408, 409, 413, 429, 500, 502, 503, 504];

function record(values: Float64Array, ms: number): void {
  let slot = 0;
  while (slot < BUCKETS && !(ms < (BOUNDS[slot] ?? Infinity))) slot++;
  values[slot] = (values[slot] ?? 0) + 1;
  values[SUM] = (values[SUM] ?? 0) + ms;
  values[COUNT] = (values[COUNT] ?? 0) + 1;
}

/** Series of one family per status code; statuses 100-999 only (what an HTTP engine produces), so bounded. */
class StatusSeries {
  readonly byStatus = new Map<number, Float64Array>();

  constructor(precreate: boolean) {
    if (precreate) for (const status of COMMON_STATUS_CODES) this.byStatus.set(status, new Float64Array(SLOTS));
  }

  get(status: number): Float64Array {
    let values = this.byStatus.get(status);
    if (values === undefined) {
      values = new Float64Array(SLOTS);
      this.byStatus.set(status, values);
    }
    return values;
  }
}

/** Go `strconv.FormatFloat(f, 'g', -1, 64)`, as expfmt's writeFloat prints every value and `le` bound. */
export function goFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return '0';
  const [mantissa = '', exponent = '0'] = f.toExponential().split('e');
  const exp = Number(exponent);
  // Shortest 'g' uses %e when the exponent is < -4 or >= 6 (Go's eprec for shortest), else %f.
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

function escapeLabelValue(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
}

const CONTAINER = 'queue-proxy';

export function createLegacyRequestMetrics(labels: LegacyMetricsLabels): LegacyRequestMetrics {
  // Label pairs in name order: configuration_name, container_name, namespace_name, pod_name, response_code,
  // response_code_class, revision_name, [route_tag,] service_name. Everything but the response and the tag is fixed.
  const head = `configuration_name="${escapeLabelValue(labels.configuration)}",container_name="${CONTAINER}",namespace_name="${escapeLabelValue(labels.namespace)}",pod_name="${escapeLabelValue(labels.pod)}"`;
  const revision = `revision_name="${escapeLabelValue(labels.revision)}"`;
  // S:pkg/metrics/tags.go#valueOrUnknown
  const service = `service_name="${escapeLabelValue(labels.service === '' ? 'unknown' : labels.service)}"`;
  const labelSet = (status: string, routeTag: string | null): string => {
    const cls = status === '' ? '' : `${status.slice(0, -2)}xx`;
    const tag = routeTag === null ? '' : `,route_tag="${escapeLabelValue(routeTag)}"`;
    return `${head},response_code="${status}",response_code_class="${cls}",${revision}${tag},${service}`;
  };

  const overflow = new StatusSeries(false);
  const byTag = new Map<string, StatusSeries>([
    [ROUTE_TAG_DISABLED, new StatusSeries(true)],
    [ROUTE_TAG_OVERFLOW, overflow],
  ]);
  const app = new StatusSeries(true);
  let depth = 0;
  let depthSet = false;

  const seriesForTag = (tag: string): StatusSeries => {
    let series = byTag.get(tag);
    if (series === undefined) {
      if (byTag.size >= MAX_ROUTE_TAGS) return overflow;
      series = new StatusSeries(false);
      byTag.set(tag, series);
    }
    return series;
  };

  const histogram = (out: string[], name: string, rows: readonly { labels: string; values: Float64Array }[]): void => {
    out.push(`# HELP ${name} ${HELP[name as keyof typeof HELP]}`, `# TYPE ${name} histogram`);
    for (const { labels: l, values } of rows) {
      let cumulative = 0;
      for (let i = 0; i < BUCKETS; i++) {
        cumulative += values[i] ?? 0;
        out.push(`${name}_bucket{${l},le="${goFloat(BOUNDS[i] ?? Infinity)}"} ${goFloat(cumulative)}`);
      }
      out.push(
        `${name}_bucket{${l},le="+Inf"} ${goFloat(values[COUNT] ?? 0)}`,
        `${name}_sum{${l}} ${goFloat(values[SUM] ?? 0)}`,
        `${name}_count{${l}} ${goFloat(values[COUNT] ?? 0)}`,
      );
    }
  };
  const counter = (out: string[], name: string, rows: readonly { labels: string; values: Float64Array }[]): void => {
    out.push(`# HELP ${name} ${HELP[name as keyof typeof HELP]}`, `# TYPE ${name} counter`);
    for (const { labels: l, values } of rows) out.push(`${name}{${l}} ${goFloat(values[COUNT] ?? 0)}`);
  };

  // client_golang orders series by their label values in label-name order: response_code (as a string), then its
  // class, then route_tag.
  const rowsOf = (series: StatusSeries, routeTag: string | null): { key: string; labels: string; values: Float64Array }[] => {
    const rows: { key: string; labels: string; values: Float64Array }[] = [];
    for (const [status, values] of series.byStatus) {
      if ((values[COUNT] ?? 0) === 0) continue; // An OpenCensus row exists only once recorded.
      const code = String(status);
      rows.push({ key: `${code}\u0000${routeTag ?? ''}`, labels: labelSet(code, routeTag), values });
    }
    return rows;
  };
  const sorted = <T extends { key: string }>(rows: T[]): T[] => rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  return {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',

    observeRequest(routeTag, status, ms) {
      if (!Number.isFinite(ms)) return;
      record(seriesForTag(routeTag).get(status), Math.max(0, Math.floor(ms)));
    },

    observe(status, seconds) {
      if (!Number.isFinite(seconds)) return;
      // The handler hands over seconds computed from milliseconds; the epsilon undoes that division's rounding
      // (5 ms must not become 4.999999 and truncate to 4).
      record(app.get(status), Math.max(0, Math.floor(seconds * 1000 + 1e-6)));
    },

    setQueueDepth(n) {
      depth = n;
      depthSet = true;
    },

    metrics() {
      const out: string[] = [];
      const appRows = sorted(rowsOf(app, null));
      if (appRows.length > 0) {
        counter(out, APP_REQUEST_COUNT, appRows);
        histogram(out, APP_REQUEST_LATENCIES, appRows);
      }
      if (depthSet) {
        out.push(`# HELP ${QUEUE_DEPTH} ${HELP[QUEUE_DEPTH]}`, `# TYPE ${QUEUE_DEPTH} gauge`, `${QUEUE_DEPTH}{${labelSet('', null)}} ${goFloat(depth)}`);
      }
      const requestRows = sorted([...byTag].flatMap(([tag, series]) => rowsOf(series, tag)));
      if (requestRows.length > 0) {
        counter(out, REQUEST_COUNT, requestRows);
        histogram(out, REQUEST_LATENCIES, requestRows);
      }
      return Promise.resolve(out.length === 0 ? '' : `${out.join('\n')}\n`);
    },
  };
}
