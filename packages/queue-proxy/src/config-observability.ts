// OBSERVABILITY_CONFIG (docs/contract/queue-proxy.md §5.1) and the Prometheus request-metrics endpoint it may turn on.
import type { EnvReader } from '@kdp/core';

import { parsePort, quote, readPort } from './config-env.js';
import { INT64_MAX, INT64_MIN, isJsonObject, jsonTypeOf, readBool, readInteger, readNumber, readObject, readString } from './go-json.js';
import type { JsonObject, ProblemSink } from './go-json.js';

export type RequestMetricsProtocol = 'none' | 'prometheus' | 'grpc' | 'http/protobuf';
export type TracingProtocol = 'none' | 'grpc' | 'http/protobuf' | 'stdout';

export interface MetricsExportConfig<P extends string> {
  readonly protocol: P;
  readonly endpoint: string;
  /** 0 means the exporter's default. */
  readonly exportIntervalMs: number;
}

/** OBSERVABILITY_CONFIG decoded (docs/contract/queue-proxy.md §5.1, S:pkg/observability/config.go#Config). */
export interface ObservabilityConfig {
  readonly tracing: { readonly protocol: TracingProtocol; readonly endpoint: string; readonly samplingRate: number };
  /** Knative component metrics; queue-proxy itself uses `requestMetrics`. Not validated, as Knative does not. */
  readonly metrics: MetricsExportConfig<string>;
  readonly runtime: { readonly profiling: string; readonly exportIntervalMs: number };
  readonly requestMetrics: MetricsExportConfig<RequestMetricsProtocol>;
  readonly enableRequestLog: boolean;
  /** A Go text/template. */
  readonly requestLogTemplate: string;
  readonly enableProbeRequestLog: boolean;
}

// S:pkg/observability/config.go#DefaultRequestLogTemplate
export const DEFAULT_REQUEST_LOG_TEMPLATE =
  '{"httpRequest": {"requestMethod": "{{.Request.Method}}", "requestUrl": "{{js .Request.RequestURI}}", "requestSize": "{{.Request.ContentLength}}", "status": {{.Response.Code}}, "responseSize": "{{.Response.Size}}", "userAgent": "{{js .Request.UserAgent}}", "remoteIp": "{{js .Request.RemoteAddr}}", "serverIp": "{{.Revision.PodIP}}", "referer": "{{js .Request.Referer}}", "latency": "{{.Response.Latency}}s", "protocol": "{{.Request.Proto}}"}, "traceId": "{{.TraceID}}"}';
// P:observability/runtime/config.go#DefaultConfig: 15 s, "same as OTel runtime.DefaultMinimumReadMemStatsInterval".
const DEFAULT_RUNTIME_EXPORT_INTERVAL_MS = 15_000;
// S:pkg/networking/constants.go#UserQueueMetricsPort, forced by S:pkg/queue/sharedmain/otel.go#SetupObservabilityOrDie
const KNATIVE_USER_METRICS_PORT = 9091;
// P:observability/metrics/prometheus/server.go#validate: the Prometheus server refuses ports below 1024.
const PROMETHEUS_MIN_PORT = 1024;

// ---------------------------------------------------------------------------------------------------------------
// OBSERVABILITY_CONFIG: Go's json.Unmarshal over DefaultConfig(), so absent keys keep their defaults. Knative does
// not call Validate() on it; what is fatal is what its providers reject: an unknown requestMetrics or tracing
// protocol (P:observability/metrics/provider.go#readerFor, P:observability/tracing/provider.go#exporterFor).

const REQUEST_METRICS_PROTOCOLS: readonly RequestMetricsProtocol[] = ['none', 'prometheus', 'grpc', 'http/protobuf'];
const TRACING_PROTOCOLS: readonly TracingProtocol[] = ['none', 'grpc', 'http/protobuf', 'stdout'];

function oneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}

/** A time.Duration: integer nanoseconds in JSON. */
function readDurationMs(obj: JsonObject, name: string, path: string, sink: ProblemSink): number | undefined {
  const ns = readInteger(obj, name, path, sink, INT64_MIN, INT64_MAX);
  return ns === undefined ? undefined : ns / 1e6;
}

function readExport(obj: JsonObject | undefined, path: string, sink: ProblemSink): { protocol: string | undefined; endpoint: string; exportIntervalMs: number } {
  if (obj === undefined) return { protocol: undefined, endpoint: '', exportIntervalMs: 0 };
  return {
    protocol: readString(obj, 'protocol', path, sink),
    endpoint: readString(obj, 'endpoint', path, sink) ?? '',
    exportIntervalMs: readDurationMs(obj, 'exportInterval', path, sink) ?? 0,
  };
}

const OBSERVABILITY_CONFIG = 'OBSERVABILITY_CONFIG';

/** OBSERVABILITY_CONFIG; absent, empty or `null` gives the defaults, as does an unparsable value (a problem). */
export function readObservability(r: EnvReader): ObservabilityConfig {
  const sink: ProblemSink = (path, reason) => r.problem(OBSERVABILITY_CONFIG, `${path}: ${reason}`);
  return r.json(OBSERVABILITY_CONFIG, (doc) => decodeObservability(doc, sink)) ?? decodeObservability(null, sink);
}

function decodeObservability(doc: unknown, sink: ProblemSink): ObservabilityConfig {
  if (doc !== null && !isJsonObject(doc)) throw new Error(`expected a JSON object, got ${jsonTypeOf(doc)}`);
  const root: JsonObject = isJsonObject(doc) ? doc : {};

  const tracingObj = readObject(root, 'tracing', '', sink);
  const tracingProtocol = (tracingObj && readString(tracingObj, 'protocol', 'tracing', sink)) ?? 'none';
  if (!oneOf(TRACING_PROTOCOLS, tracingProtocol)) {
    sink('tracing.protocol', `unsupported protocol ${quote(tracingProtocol)} (expected ${TRACING_PROTOCOLS.join(', ')})`);
  }
  const metrics = readExport(readObject(root, 'metrics', '', sink), 'metrics', sink);
  const runtimeObj = readObject(root, 'runtime', '', sink);
  const request = readExport(readObject(root, 'requestMetrics', '', sink), 'requestMetrics', sink);
  const requestProtocol = request.protocol ?? 'none';
  if (!oneOf(REQUEST_METRICS_PROTOCOLS, requestProtocol)) {
    sink('requestMetrics.protocol', `unsupported protocol ${quote(requestProtocol)} (expected ${REQUEST_METRICS_PROTOCOLS.join(', ')})`);
  }

  return {
    tracing: {
      protocol: oneOf(TRACING_PROTOCOLS, tracingProtocol) ? tracingProtocol : 'none',
      endpoint: (tracingObj && readString(tracingObj, 'endpoint', 'tracing', sink)) ?? '',
      samplingRate: (tracingObj && readNumber(tracingObj, 'samplingRate', 'tracing', sink)) ?? 0,
    },
    metrics: { protocol: metrics.protocol ?? 'none', endpoint: metrics.endpoint, exportIntervalMs: metrics.exportIntervalMs },
    runtime: {
      profiling: (runtimeObj && readString(runtimeObj, 'profiling', 'runtime', sink)) ?? 'disabled',
      exportIntervalMs: (runtimeObj && readDurationMs(runtimeObj, 'exportInterval', 'runtime', sink)) ?? DEFAULT_RUNTIME_EXPORT_INTERVAL_MS,
    },
    requestMetrics: {
      protocol: oneOf(REQUEST_METRICS_PROTOCOLS, requestProtocol) ? requestProtocol : 'none',
      endpoint: request.endpoint,
      exportIntervalMs: request.exportIntervalMs,
    },
    enableRequestLog: readBool(root, 'enableRequestLog', '', sink) ?? false,
    requestLogTemplate: readString(root, 'requestLogTemplate', '', sink) ?? DEFAULT_REQUEST_LOG_TEMPLATE,
    enableProbeRequestLog: readBool(root, 'enableProbeRequestLog', '', sink) ?? false,
  };
}

/**
 * What Knative 1.19+ would do with this OBSERVABILITY_CONFIG that kdp does not, one line each for the startup log.
 * Knative starts in all these cases, and so does kdp.
 */
export function observabilityWarnings(o: ObservabilityConfig): string[] {
  const out: string[] = [];
  const push = o.requestMetrics.protocol;
  if (push === 'grpc' || push === 'http/protobuf') {
    out.push(`${OBSERVABILITY_CONFIG}: requestMetrics.protocol ${quote(push)}: kdp does not push OTLP metrics: nothing is sent to requestMetrics.endpoint (KDP_USER_METRICS_PORT serves them for Prometheus instead)`);
  }
  if (o.tracing.protocol !== 'none') out.push(`${OBSERVABILITY_CONFIG}: tracing.protocol ${quote(o.tracing.protocol)}: kdp does not trace; no spans are exported`);
  if (o.enableRequestLog) {
    out.push(`${OBSERVABILITY_CONFIG}: enableRequestLog: kdp does not write Knative's templated request log; no request log is written (KDP_REQUEST_LOG=true gives kdp's own debug line)`);
  }
  if (o.runtime.profiling === 'enabled') out.push(`${OBSERVABILITY_CONFIG}: runtime.profiling: kdp serves no profiling endpoint (Knative: :8008)`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The 9091 Prometheus endpoint.
//
// Decision: served when requestMetrics.protocol is "prometheus" (Knative's only trigger) OR when KDP_USER_METRICS_PORT
// is set. Off by default, as in Knative, so that a black-box comparison finds nothing on 9091 and several
// queue-proxies on one machine do not fight over it; setting the kdp variable is the explicit opt-in the kdp issue
// asks for. Port: KDP_USER_METRICS_PORT, else METRICS_PROMETHEUS_PORT, else the port of requestMetrics.endpoint,
// else 9091 (P:observability/metrics/prometheus_enabled.go#buildPrometheus; the METRICS_PROMETHEUS_* variables
// override the endpoint in P:observability/metrics/prometheus/server.go#NewServer). Host likewise:
// METRICS_PROMETHEUS_HOST, else the endpoint's host, else KDP_BIND_HOST.

function splitHostPort(endpoint: string): { host: string; port: string } | undefined {
  if (endpoint.startsWith('[')) {
    const close = endpoint.indexOf(']:');
    return close === -1 ? undefined : { host: endpoint.slice(1, close), port: endpoint.slice(close + 2) };
  }
  const colon = endpoint.lastIndexOf(':');
  if (colon === -1 || endpoint.slice(0, colon).includes(':')) return undefined;
  return { host: endpoint.slice(0, colon), port: endpoint.slice(colon + 1) };
}

/** Whether, where and on which port the Prometheus request-metrics endpoint is served. */
export function resolveUserMetrics(
  reader: EnvReader,
  requestMetrics: MetricsExportConfig<RequestMetricsProtocol>,
  bindHost: string,
): { enabled: boolean; port: number; host: string } {
  const prometheus = requestMetrics.protocol === 'prometheus';
  const explicit = reader.lookup('KDP_USER_METRICS_PORT') !== undefined;
  if (!prometheus && !explicit) return { enabled: false, port: KNATIVE_USER_METRICS_PORT, host: bindHost };

  let endpointHost = '';
  let port: number = KNATIVE_USER_METRICS_PORT;
  if (prometheus && requestMetrics.endpoint !== '') {
    const split = splitHostPort(requestMetrics.endpoint);
    const endpointPort = split === undefined ? undefined : parsePort(split.port, PROMETHEUS_MIN_PORT);
    if (split === undefined || endpointPort === undefined) {
      reader.problem(
        OBSERVABILITY_CONFIG,
        `requestMetrics.endpoint: ${quote(requestMetrics.endpoint)} should be "host:port", "[host]:port" or ":port" with a port ${String(PROMETHEUS_MIN_PORT)}-65535`,
      );
    } else {
      endpointHost = split.host;
      port = endpointPort;
    }
  }
  const envPort = reader.string('METRICS_PROMETHEUS_PORT');
  if (envPort !== '') {
    const parsed = parsePort(envPort, PROMETHEUS_MIN_PORT);
    if (parsed === undefined) reader.problem('METRICS_PROMETHEUS_PORT', `invalid port ${quote(envPort)} (expected ${String(PROMETHEUS_MIN_PORT)}-65535)`);
    else port = parsed;
  }
  if (explicit) port = readPort(reader, 'KDP_USER_METRICS_PORT', false, port);

  const envHost = reader.string('METRICS_PROMETHEUS_HOST');
  const host = envHost !== '' ? envHost : endpointHost !== '' ? endpointHost : bindHost;
  return { enabled: true, port, host };
}
