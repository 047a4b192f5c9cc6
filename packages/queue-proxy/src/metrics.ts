// User-facing request metrics of queue-proxy, the ones Knative serves on 9091 (docs/contract/queue-proxy.md §2.9,
// S:pkg/queue/request_metric.go#NewAppRequestMetricsHandler), as a prom-client Registry of their own.
//
// Names are what Knative's OTel Prometheus exporter prints (UnderscoreEscapingWithSuffixes):
//   kn_serving_invocation_duration_seconds{http_response_status_code}   histogram
//   kn_serving_queue_depth                                               gauge
// Like that exporter (vendor/go.opentelemetry.io/otel/exporters/prometheus/exporter.go), every series carries the
// instrumentation scope as `otel_scope_name="knative.dev/serving/pkg/queue"` (the empty scope version and schema
// URL labels are left out: Prometheus treats an empty label as absent), and the resource attributes -- namespace,
// service, configuration, revision, pod -- go on one `target_info` series instead of on every series
// (S:pkg/queue/sharedmain/otel.go#res). Join them in PromQL with `* on (job, instance) group_left target_info`.
import { Gauge, Registry, type Histogram } from 'prom-client';

/** S:pkg/queue/request_metric.go#latencyBounds */
export const INVOCATION_DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** S:pkg/queue/request_metric.go#scopeName */
const SCOPE_NAME = 'knative.dev/serving/pkg/queue';
const DURATION_NAME = 'kn_serving_invocation_duration_seconds';
const DURATION_HELP = 'The duration of task execution';
const DEPTH_NAME = 'kn_serving_queue_depth';
const DEPTH_HELP = 'Number of current requests in the queue';
const STATUS_LABEL = 'http_response_status_code';

/** Status codes whose series exist from the start, so recording them never allocates. Others are added on first use. */
const COMMON_STATUS_CODES: readonly number[] = [
  200, 201, 202, 204, 206, 301, 302, 304, 307, 308, 400, 401, 403, 404, 405, 408, 409, 413, 429, 500, 502, 503, 504,
];

export interface QueueMetricsLabels {
  readonly namespace: string;
  readonly service: string;
  readonly configuration: string;
  readonly revision: string;
  readonly pod: string;
  /** OTel service.name; default: service, else configuration, else revision, else pod (Knative's fallback). */
  readonly serviceName?: string;
  /** OTel service.version (Knative: the build's commit); omitted when not given. */
  readonly serviceVersion?: string;
}

export interface QueueMetrics {
  /** A registry of its own, never prom-client's global one. Serve `await registry.metrics()` on GET /metrics. */
  readonly registry: Registry;
  /**
   * Records one proxied request that held a breaker slot: `seconds` from slot acquisition to the upstream
   * response's end, under the final status. Request path: no allocation for the common status codes.
   */
  observe(status: number, seconds: number): void;
  /** Records the breaker's in-flight count (executing + queued). Knative records it only when CC >= 1. */
  setQueueDepth(depth: number): void;
}

const BUCKET_COUNT = INVOCATION_DURATION_BUCKETS_SECONDS.length;
// Layout of a series' Float64Array: one slot per bucket (non-cumulative), one for +Inf (index BUCKET_COUNT), then
// sum, then count. Typed-array writes never allocate, where a number property on an object may box a heap number.
const SUM_SLOT = BUCKET_COUNT + 1;
const COUNT_SLOT = BUCKET_COUNT + 2;
const BOUNDS = Float64Array.from(INVOCATION_DURATION_BUCKETS_SECONDS);

interface Series {
  readonly status: string;
  readonly values: Float64Array;
}

interface Sample {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName: string;
}

/**
 * The duration histogram, stored in preallocated typed arrays and read by the registry through the contract every
 * prom-client metric fulfils (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`). prom-client's own
 * Histogram allocates label objects and a hash string on every observe, which the request path cannot afford.
 */
class DurationHistogram {
  readonly name = DURATION_NAME;
  readonly help = DURATION_HELP;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<number, Series>();

  constructor() {
    for (const status of COMMON_STATUS_CODES) this.#create(status);
  }

  observe(status: number, seconds: number): void {
    // A NaN or infinite duration is a clock bug upstream; dropping it keeps the sum usable.
    if (!Number.isFinite(seconds)) return;
    const values = (this.#series.get(status) ?? this.#create(status)).values;
    let slot = 0;
    while (slot < BUCKET_COUNT && seconds > (BOUNDS[slot] ?? Infinity)) slot++;
    values[slot] = (values[slot] ?? 0) + 1;
    values[SUM_SLOT] = (values[SUM_SLOT] ?? 0) + seconds;
    values[COUNT_SLOT] = (values[COUNT_SLOT] ?? 0) + 1;
  }

  // node:http only produces statuses 100-999, so this map holds at most 900 series.
  #create(status: number): Series {
    const series = { status: String(status), values: new Float64Array(COUNT_SLOT + 1) };
    this.#series.set(status, series);
    return series;
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    const bucketName = `${DURATION_NAME}_bucket`;
    for (const { status, values: v } of this.#series.values()) {
      const count = v[COUNT_SLOT] ?? 0;
      // Like the OTel exporter, a status shows up only once it has been recorded.
      if (count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < BUCKET_COUNT; i++) {
        cumulative += v[i] ?? 0;
        const le = INVOCATION_DURATION_BUCKETS_SECONDS[i] ?? Infinity;
        values.push({ metricName: bucketName, value: cumulative, labels: { [STATUS_LABEL]: status, otel_scope_name: SCOPE_NAME, le } });
      }
      values.push(
        { metricName: bucketName, value: count, labels: { [STATUS_LABEL]: status, otel_scope_name: SCOPE_NAME, le: '+Inf' } },
        { metricName: `${DURATION_NAME}_sum`, value: v[SUM_SLOT] ?? 0, labels: { [STATUS_LABEL]: status, otel_scope_name: SCOPE_NAME } },
        { metricName: `${DURATION_NAME}_count`, value: count, labels: { [STATUS_LABEL]: status, otel_scope_name: SCOPE_NAME } },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    for (const { values } of this.#series.values()) values.fill(0);
  }
}

function targetInfoLabels(labels: QueueMetricsLabels): Record<string, string> {
  // S:pkg/queue/sharedmain/otel.go#res, attribute names with dots turned into underscores. The OTel SDK's own
  // telemetry_sdk_* attributes are not imitated: kdp is not the OTel SDK.
  const serviceName = labels.serviceName ?? (labels.service || labels.configuration || labels.revision || labels.pod);
  const out: Record<string, string> = {
    k8s_container_name: 'queue-proxy',
    k8s_namespace_name: labels.namespace,
    k8s_pod_name: labels.pod,
    service_name: serviceName,
    service_instance_id: labels.pod,
  };
  if (labels.serviceVersion !== undefined) out['service_version'] = labels.serviceVersion;
  if (labels.service !== '') out['kn_service_name'] = labels.service;
  if (labels.configuration !== '') out['kn_configuration_name'] = labels.configuration;
  if (labels.revision !== '') out['kn_revision_name'] = labels.revision;
  return out;
}

export function createQueueMetrics(labels: QueueMetricsLabels): QueueMetrics {
  const registry = new Registry();

  const durations = new DurationHistogram();
  // prom-client's typings list only its built-in classes; its Registry itself only needs the members above.
  registry.registerMetric(durations as unknown as Histogram);

  const info = targetInfoLabels(labels);
  const targetInfo = new Gauge({ name: 'target_info', help: 'Target metadata', labelNames: Object.keys(info), registers: [registry] });
  targetInfo.set(info, 1);

  // The gauge reads a plain number when scraped, so setting it on the request path is one assignment.
  let depth = 0;
  const scopeLabels = { otel_scope_name: SCOPE_NAME } as const;
  const depthGauge = new Gauge({
    name: DEPTH_NAME,
    help: DEPTH_HELP,
    labelNames: ['otel_scope_name'],
    registers: [],
    collect() {
      this.set(scopeLabels, depth);
    },
  });
  // Knative's gauge appears with its first recording (never with CC=0), so it joins the registry then.
  let depthRegistered = false;

  return {
    registry,
    observe: (status, seconds) => durations.observe(status, seconds),
    setQueueDepth: (n) => {
      depth = n;
      if (!depthRegistered) {
        depthRegistered = true;
        registry.registerMetric(depthGauge);
      }
    },
  };
}
