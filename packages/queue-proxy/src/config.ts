// The queue-proxy configuration: every environment variable of contract §1.3, read once, with Knative's envconfig
// rules (S:pkg/queue/sharedmain/main.go#config, github.com/kelseyhightower/envconfig):
// - "required" means present; an empty string is a valid string;
// - an int or bool that is present but empty is an error, as is any unparsable one;
// - ints parse like Go's strconv.ParseInt(v, 0, 64): sign, 0x/0o/0b prefixes, a leading 0 means octal, `_`
//   between digits; bools like strconv.ParseBool.
// Plus kdp's own KDP_* variables, each defaulting to Knative's fixed value, so several queue-proxies can share one
// machine. All problems are collected and thrown together as one ConfigError; the result is frozen.
//
// Where Knative starts and then misbehaves (a port that is not a port, a zero revision timeout, a probe that can
// never pass), kdp fails at start instead. Where Knative silently tolerates something cosmetic (an unknown log
// level), kdp tolerates it too and lists it in `warnings` for the caller to log.
import { isIP } from 'node:net';

import { isJsonObject, readBool, readInteger, readNumber, readObject, readString, INT64_MAX, INT64_MIN } from './health/go-json.js';
import type { JsonObject, ProblemSink } from './health/go-json.js';
import { decodeProbes, type ProbeSpec } from './health/probe-decode.js';

export class ConfigError extends Error {
  readonly code = 'KDP_ERR_CONFIG';
  /** Not an HTTP error in practice: configuration is read before any server starts. */
  readonly statusCode = 500;
  /** One line each, `VARIABLE: reason`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid queue-proxy configuration (${String(problems.length)} problem(s)):\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

/** pino level names; zap's dpanic maps to error, panic to fatal. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type RequestMetricsProtocol = 'none' | 'prometheus' | 'grpc' | 'http/protobuf';
export type TracingProtocol = 'none' | 'grpc' | 'http/protobuf' | 'stdout';
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface MetricsExportConfig<P extends string> {
  readonly protocol: P;
  readonly endpoint: string;
  /** 0 means the exporter's default. */
  readonly exportIntervalMs: number;
}

/** OBSERVABILITY_CONFIG decoded (contract §5.1, S:pkg/observability/config.go#Config). */
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

/** QUEUE_PROXY_TLS_* decoded into node:tls terms (P:network/tls/config.go#DefaultConfigFromEnv). */
export interface TlsSettings {
  readonly minVersion: TlsVersion;
  /** undefined: Node's default (TLS 1.3). */
  readonly maxVersion: TlsVersion | undefined;
  /** OpenSSL names for `ciphers` (join with ':'); empty: Node's default. */
  readonly ciphers: readonly string[];
  /** Group names for `ecdhCurve` (join with ':'); empty: Node's default. */
  readonly ecdhCurves: readonly string[];
}

export interface Config {
  /** CONTAINER_CONCURRENCY; 0 means unlimited, no breaker (Knative treats every value < 1 so; normalised to 0). */
  readonly containerConcurrency: number;
  readonly servingPort: number;
  /** Used only when the TLS certificate and key exist. */
  readonly servingTlsPort: number;
  readonly userPort: number;
  readonly revisionTimeoutMs: number;
  /** 0: disabled (Knative disables it for every value <= 0). */
  readonly responseStartTimeoutMs: number;
  /** 0: disabled (Knative disables it for every value <= 0). */
  readonly idleTimeoutMs: number;
  /** Empty: always ready. */
  readonly readinessProbes: readonly ProbeSpec[];
  readonly enableMultiContainerProbes: boolean;
  readonly enableHttp2AutoDetection: boolean;
  readonly enableHttpFullDuplex: boolean;
  /** SERVING_LOGGING_CONFIG as given (zap JSON); only its level is interpreted, into `logLevel`. */
  readonly loggingConfig: string;
  readonly logLevel: LogLevel;
  readonly servingNamespace: string;
  readonly servingService: string;
  readonly servingConfiguration: string;
  readonly servingRevision: string;
  readonly servingPod: string;
  readonly servingPodIp: string;
  readonly observability: ObservabilityConfig;
  readonly tls: TlsSettings;
  /** OTEL_SERVICE_NAME, else service, configuration, revision, POD_NAME, HOSTNAME, pod (S:pkg/queue/sharedmain/otel.go#res). */
  readonly otelServiceName: string;

  // kdp extensions.
  /**
   * KDP_BIND_HOST for every listener. '' (the default) means all interfaces, dual-stack, exactly like Go's ":8012":
   * node:net treats an empty host as the unspecified address, so pass it straight to `server.listen`.
   */
  readonly bindHost: string;
  /** KDP_USER_HOST: where the user container listens and probes go by default. */
  readonly userHost: string;
  readonly adminPort: number;
  readonly metricsPort: number;
  /** Whether the Prometheus request-metrics endpoint (Knative's 9091) is served; see resolveUserMetrics. */
  readonly userMetricsEnabled: boolean;
  /** Its port, resolved even when it is not served. */
  readonly userMetricsPort: number;
  /** Its listen host; '' means all interfaces, as for bindHost. */
  readonly userMetricsHost: string;
  readonly drainQuietPeriodMs: number;
  /** KDP_REQUEST_LOG: kdp's own per-request debug log line; unrelated to Knative's templated request log. */
  readonly requestLog: boolean;
  /** Tolerated oddities, one line each, for the caller to log once the logger exists. */
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Go's strconv, as envconfig uses it.

export type GoIntResult = { readonly ok: true; readonly value: bigint } | { readonly ok: false; readonly error: 'syntax' | 'range' };

const SYNTAX: GoIntResult = { ok: false, error: 'syntax' };
const RANGE: GoIntResult = { ok: false, error: 'range' };
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_CUTOFF = 1n << 63n;

/** strconv.ParseInt(s, 0, 64). */
export function parseGoInt(s: string): GoIntResult {
  let rest = s;
  let negative = false;
  if (rest.startsWith('+') || rest.startsWith('-')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  const parsed = parseGoUint(rest);
  if (!parsed.ok) return parsed;
  if (negative ? parsed.value > INT64_CUTOFF : parsed.value >= INT64_CUTOFF) return RANGE;
  return { ok: true, value: negative ? -parsed.value : parsed.value };
}

/** strconv.ParseUint(s, 0, 64). */
function parseGoUint(s0: string): GoIntResult {
  if (s0 === '') return SYNTAX;
  let base = 10n;
  let digits = s0;
  if (s0.startsWith('0')) {
    const prefix = s0.length >= 3 ? s0.charAt(1).toLowerCase() : '';
    base = prefix === 'b' ? 2n : prefix === 'x' ? 16n : 8n;
    digits = prefix === 'b' || prefix === 'o' || prefix === 'x' ? s0.slice(2) : s0.slice(1);
  }
  let n = 0n;
  let underscores = false;
  for (const c of digits) {
    if (c === '_') {
      underscores = true;
      continue;
    }
    const d = digitValue(c);
    if (d === undefined || d >= base) return SYNTAX;
    n = n * base + d;
    if (n > UINT64_MAX) return RANGE;
  }
  if (underscores && !underscoreOK(s0)) return SYNTAX;
  return { ok: true, value: n };
}

function digitValue(c: string): bigint | undefined {
  const code = c.toLowerCase().charCodeAt(0);
  if (c.length !== 1) return undefined;
  if (code >= 0x30 && code <= 0x39) return BigInt(code - 0x30);
  if (code >= 0x61 && code <= 0x7a) return BigInt(code - 0x61 + 10);
  return undefined;
}

/** Go's strconv.underscoreOK: `_` only between digits, or between a base prefix and a digit. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && ['b', 'o', 'x'].includes(s.charAt(1).toLowerCase())) {
    i = 2;
    saw = '0';
    hex = s.charAt(1).toLowerCase() === 'x';
  }
  for (; i < s.length; i++) {
    const c = s.charAt(i);
    if ((c >= '0' && c <= '9') || (hex && c.toLowerCase() >= 'a' && c.toLowerCase() <= 'f')) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  switch (s) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False':
      return false;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading variables.

// Node's setTimeout fires at once for delays above 2^31-1 ms; a timeout longer than that would silently become 0.
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const BOOL_SPELLINGS = '1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False';

function quote(value: string): string {
  return JSON.stringify(value);
}

class EnvReader {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  readonly #env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
  }

  lookup(name: string): string | undefined {
    const value = this.#env[name];
    return typeof value === 'string' ? value : undefined;
  }

  problem(name: string, reason: string): void {
    // One line per problem, whatever the quoted input contains.
    this.problems.push(`${name}: ${reason.replace(/[\r\n]+/gu, ' ')}`);
  }

  string(name: string, required: boolean, fallback = ''): string {
    const value = this.lookup(name);
    if (value !== undefined) return value;
    if (required) this.problem(name, 'required but not set');
    return fallback;
  }

  /** An int variable; `undefined` when absent (and not required) or invalid. */
  int(name: string, required: boolean): number | undefined {
    const raw = this.lookup(name);
    if (raw === undefined) {
      if (required) this.problem(name, 'required but not set');
      return undefined;
    }
    if (raw === '') {
      this.problem(name, 'set but empty; expected an integer');
      return undefined;
    }
    const parsed = parseGoInt(raw);
    if (!parsed.ok) {
      if (parsed.error === 'range') this.problem(name, `integer ${quote(raw)} out of range for int64`);
      else if (/^[+-]?0[0-9_]/u.test(raw)) this.problem(name, `invalid integer ${quote(raw)} (a leading 0 means octal, as in Go)`);
      else this.problem(name, `invalid integer ${quote(raw)}`);
      return undefined;
    }
    if (parsed.value > BigInt(Number.MAX_SAFE_INTEGER) || parsed.value < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.problem(name, `${String(parsed.value)} is beyond what kdp can represent exactly (2^53-1)`);
      return undefined;
    }
    return Number(parsed.value);
  }

  /** A duration in whole seconds that will become a Node.js timer. */
  seconds(name: string, required: boolean): number | undefined {
    const value = this.int(name, required);
    if (value !== undefined && value > MAX_TIMER_SECONDS) {
      this.problem(name, `${String(value)} exceeds ${String(MAX_TIMER_SECONDS)} seconds, the longest Node.js timer`);
      return undefined;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.lookup(name);
    if (raw === undefined) return fallback;
    if (raw === '') {
      this.problem(name, 'set but empty; expected a boolean');
      return fallback;
    }
    const parsed = parseGoBool(raw);
    if (parsed === undefined) {
      this.problem(name, `invalid boolean ${quote(raw)} (expected ${BOOL_SPELLINGS})`);
      return fallback;
    }
    return parsed;
  }

  /** A TCP port, decimal. Knative types its ports as strings and only fails at listen or dial time. */
  port(name: string, required: boolean, fallback: number): number {
    const raw = this.lookup(name);
    if (raw === undefined) {
      if (required) this.problem(name, 'required but not set');
      return fallback;
    }
    const port = parsePort(raw, 1);
    if (port === undefined) this.problem(name, `invalid port ${quote(raw)} (expected a decimal integer 1-65535)`);
    return port ?? fallback;
  }

  /** An IP address literal, or undefined when absent or empty. */
  ipAddress(name: string): string | undefined {
    const raw = this.lookup(name);
    if (raw === undefined || raw === '') return undefined;
    if (isIP(raw) === 0) {
      this.problem(name, `invalid IP address ${quote(raw)}`);
      return undefined;
    }
    return raw;
  }
}

function parsePort(raw: string, min: number): number | undefined {
  if (!/^[0-9]{1,5}$/u.test(raw)) return undefined;
  const port = Number(raw);
  return port >= min && port <= 65535 ? port : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Defaults, with where they come from.

// S:pkg/networking/constants.go#QueueAdminPort
const KNATIVE_ADMIN_PORT = 8022;
// S:pkg/networking/constants.go#AutoscalingQueueMetricsPort
const KNATIVE_METRICS_PORT = 9090;
// S:pkg/networking/constants.go#UserQueueMetricsPort, forced by S:pkg/queue/sharedmain/otel.go#SetupObservabilityOrDie
const KNATIVE_USER_METRICS_PORT = 9091;
// S:pkg/queue/sharedmain/main.go#drainSleepDuration
const KNATIVE_DRAIN_QUIET_PERIOD_SECONDS = 30;
// S:pkg/queue/sharedmain/main.go#buildProxyHandler dials net.JoinHostPort("127.0.0.1", env.UserPort).
const KNATIVE_USER_HOST = '127.0.0.1';
// P:observability/metrics/prometheus/server.go#validate: the Prometheus server refuses ports below 1024.
const PROMETHEUS_MIN_PORT = 1024;
// S:pkg/observability/config.go#DefaultRequestLogTemplate
export const DEFAULT_REQUEST_LOG_TEMPLATE =
  '{"httpRequest": {"requestMethod": "{{.Request.Method}}", "requestUrl": "{{js .Request.RequestURI}}", "requestSize": "{{.Request.ContentLength}}", "status": {{.Response.Code}}, "responseSize": "{{.Response.Size}}", "userAgent": "{{js .Request.UserAgent}}", "remoteIp": "{{js .Request.RemoteAddr}}", "serverIp": "{{.Revision.PodIP}}", "referer": "{{js .Request.Referer}}", "latency": "{{.Response.Latency}}s", "protocol": "{{.Request.Proto}}"}, "traceId": "{{.TraceID}}"}';
// P:observability/runtime/config.go#DefaultConfig: 15 s, "same as OTel runtime.DefaultMinimumReadMemStatsInterval".
const DEFAULT_RUNTIME_EXPORT_INTERVAL_MS = 15_000;

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

function parseObservability(raw: string, reader: EnvReader): ObservabilityConfig {
  const name = 'OBSERVABILITY_CONFIG';
  const sink: ProblemSink = (path, reason) => reader.problem(name, `${path}: ${reason}`);
  let doc: unknown = null;
  if (raw !== '') {
    try {
      doc = JSON.parse(raw);
    } catch (error) {
      reader.problem(name, `invalid JSON: ${(error as Error).message}`);
    }
  }
  if (doc !== null && !isJsonObject(doc)) {
    reader.problem(name, `expected a JSON object, got ${Array.isArray(doc) ? 'array' : typeof doc}`);
  }
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

function resolveUserMetrics(
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
        'OBSERVABILITY_CONFIG',
        `requestMetrics.endpoint: ${quote(requestMetrics.endpoint)} should be "host:port", "[host]:port" or ":port" with a port ${String(PROMETHEUS_MIN_PORT)}-65535`,
      );
    } else {
      endpointHost = split.host;
      port = endpointPort;
    }
  }
  const envPort = reader.lookup('METRICS_PROMETHEUS_PORT') ?? '';
  if (envPort !== '') {
    const parsed = parsePort(envPort, PROMETHEUS_MIN_PORT);
    if (parsed === undefined) reader.problem('METRICS_PROMETHEUS_PORT', `invalid port ${quote(envPort)} (expected ${String(PROMETHEUS_MIN_PORT)}-65535)`);
    else port = parsed;
  }
  if (explicit) port = reader.port('KDP_USER_METRICS_PORT', false, port);

  const envHost = reader.lookup('METRICS_PROMETHEUS_HOST') ?? '';
  const host = envHost !== '' ? envHost : endpointHost !== '' ? endpointHost : bindHost;
  return { enabled: true, port, host };
}

// ---------------------------------------------------------------------------------------------------------------
// Logging level: P:logging/config.go#NewLogger. A valid SERVING_LOGGING_LEVEL wins, else the zap config's
// "level", else info. Knative ignores an invalid level or an unparsable config, falling back silently.

const ZAP_LEVELS: Readonly<Record<string, LogLevel>> = {
  debug: 'debug', DEBUG: 'debug', info: 'info', INFO: 'info', warn: 'warn', WARN: 'warn', error: 'error', ERROR: 'error',
  dpanic: 'error', DPANIC: 'error', panic: 'fatal', PANIC: 'fatal', fatal: 'fatal', FATAL: 'fatal',
};

function zapLevel(value: string): LogLevel | undefined {
  return Object.hasOwn(ZAP_LEVELS, value) ? ZAP_LEVELS[value] : undefined;
}

function parseLogLevel(loggingConfig: string, override: string, reader: EnvReader): LogLevel {
  let configLevel: LogLevel = 'info';
  if (loggingConfig !== '') {
    let doc: unknown;
    try {
      doc = JSON.parse(loggingConfig);
    } catch {
      reader.warnings.push('SERVING_LOGGING_CONFIG: not valid JSON; using the default logging configuration');
    }
    const level = isJsonObject(doc) ? doc['level'] : undefined;
    if (typeof level === 'string' && level !== '') {
      const parsed = zapLevel(level);
      if (parsed === undefined) reader.warnings.push(`SERVING_LOGGING_CONFIG: unknown level ${quote(level)}; using info`);
      else configLevel = parsed;
    }
  }
  if (override === '') return configLevel;
  const parsed = zapLevel(override);
  if (parsed === undefined) {
    reader.warnings.push(`SERVING_LOGGING_LEVEL: unknown level ${quote(override)}; ignored`);
    return configLevel;
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------------------------
// QUEUE_PROXY_TLS_*: P:network/tls/config.go. Knative reads them only when TLS is on; kdp checks them always, so a
// typo shows before the day certificates get mounted.

const TLS_VERSIONS: Readonly<Record<string, TlsVersion>> = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

// Go's tls.CipherSuites() names (plus the RSA key-exchange suites older Go versions list there) to OpenSSL names.
const CIPHERS: Readonly<Record<string, string>> = {
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
};

// P:network/tls/config.go#curvesByName, to OpenSSL group names.
const CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256', 'P-256': 'P-256', CurveP384: 'P-384', 'P-384': 'P-384', CurveP521: 'P-521', 'P-521': 'P-521',
  X25519: 'X25519', X25519MLKEM768: 'X25519MLKEM768',
};

function parseTlsList(reader: EnvReader, name: string, table: Readonly<Record<string, string>>, what: string): string[] {
  const out: string[] = [];
  for (const part of (reader.lookup(name) ?? '').split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const mapped = Object.hasOwn(table, item) ? table[item] : undefined;
    if (mapped === undefined) reader.problem(name, `unknown ${what} ${quote(item)}`);
    else out.push(mapped);
  }
  return out;
}

function parseTls(reader: EnvReader): TlsSettings {
  const version = (name: string): TlsVersion | undefined => {
    const raw = reader.lookup(name) ?? '';
    if (raw === '') return undefined;
    const parsed = Object.hasOwn(TLS_VERSIONS, raw) ? TLS_VERSIONS[raw] : undefined;
    if (parsed === undefined) reader.problem(name, `unsupported TLS version ${quote(raw)} (expected "1.2" or "1.3")`);
    return parsed;
  };
  return {
    // P:network/tls/config.go#DefaultConfigFromEnv: MinVersion TLS 1.3 unless overridden.
    minVersion: version('QUEUE_PROXY_TLS_MIN_VERSION') ?? 'TLSv1.3',
    maxVersion: version('QUEUE_PROXY_TLS_MAX_VERSION'),
    ciphers: parseTlsList(reader, 'QUEUE_PROXY_TLS_CIPHER_SUITES', CIPHERS, 'cipher suite'),
    ecdhCurves: parseTlsList(reader, 'QUEUE_PROXY_TLS_CURVE_PREFERENCES', CURVES, 'curve'),
  };
}

// ---------------------------------------------------------------------------------------------------------------

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Reads the queue-proxy configuration from `env`; throws one ConfigError listing every problem. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const r = new EnvReader(env);

  const containerConcurrency = r.int('CONTAINER_CONCURRENCY', true) ?? 0;
  const servingPort = r.port('QUEUE_SERVING_PORT', true, 0);
  const servingTlsPort = r.port('QUEUE_SERVING_TLS_PORT', true, 0);
  const userPort = r.port('USER_PORT', true, 0);

  const revisionTimeoutSeconds = r.seconds('REVISION_TIMEOUT_SECONDS', true);
  // Knative would time every request out at once (a zero timer); the controller never sends <= 0.
  if (revisionTimeoutSeconds !== undefined && revisionTimeoutSeconds <= 0) {
    r.problem('REVISION_TIMEOUT_SECONDS', `must be greater than 0, got ${String(revisionTimeoutSeconds)}`);
  }
  const responseStartTimeoutSeconds = r.seconds('REVISION_RESPONSE_START_TIMEOUT_SECONDS', false) ?? 0;
  const idleTimeoutSeconds = r.seconds('REVISION_IDLE_TIMEOUT_SECONDS', false) ?? 0;

  const readinessProbeJson = r.string('SERVING_READINESS_PROBE', false);
  const multiProbesProblemsBefore = r.problems.length;
  const enableMultiContainerProbes = r.bool('ENABLE_MULTI_CONTAINER_PROBES', false);
  const multiProbesValid = r.problems.length === multiProbesProblemsBefore;
  const enableHttp2AutoDetection = r.bool('ENABLE_HTTP2_AUTO_DETECTION', false);
  const enableHttpFullDuplex = r.bool('ENABLE_HTTP_FULL_DUPLEX', false);

  const loggingConfig = r.string('SERVING_LOGGING_CONFIG', true);
  const loggingLevel = r.string('SERVING_LOGGING_LEVEL', true);
  const servingNamespace = r.string('SERVING_NAMESPACE', true);
  const servingService = r.string('SERVING_SERVICE', false);
  const servingConfiguration = r.string('SERVING_CONFIGURATION', true);
  const servingRevision = r.string('SERVING_REVISION', true);
  const servingPod = r.string('SERVING_POD', true);
  const servingPodIp = r.string('SERVING_POD_IP', true);

  const observability = parseObservability(r.string('OBSERVABILITY_CONFIG', false), r);
  const tls = parseTls(r);
  const logLevel = parseLogLevel(loggingConfig, loggingLevel, r);
  const nonEmpty = (...values: (string | undefined)[]): string => values.find((v) => v !== undefined && v !== '') ?? '';
  const otelServiceName = nonEmpty(
    r.lookup('OTEL_SERVICE_NAME'), servingService, servingConfiguration, servingRevision, r.lookup('POD_NAME'), r.lookup('HOSTNAME'), servingPod,
  );

  // kdp extensions. KDP_BIND_HOST defaults to '', all interfaces (Node's unspecified address: `::` dual-stack,
  // falling back to 0.0.0.0 without IPv6), which is what Go's ":8012" listens on; a fixed 0.0.0.0 would break
  // IPv6-only clusters. Tests and local runs set 127.0.0.1.
  const bindHost = r.ipAddress('KDP_BIND_HOST') ?? '';
  // An empty user host would make Go dial "localhost" by accident; kdp asks for an address.
  if (r.lookup('KDP_USER_HOST') === '') r.problem('KDP_USER_HOST', 'set but empty; expected an IP address');
  const userHost = r.ipAddress('KDP_USER_HOST') ?? KNATIVE_USER_HOST;
  const adminPort = r.port('KDP_ADMIN_PORT', false, KNATIVE_ADMIN_PORT);
  const metricsPort = r.port('KDP_METRICS_PORT', false, KNATIVE_METRICS_PORT);
  const userMetrics = resolveUserMetrics(r, observability.requestMetrics, bindHost);
  // 0 means no quiet period (useful in tests); knative/pkg's Drainer would read 0 as its own 45 s default.
  let drainQuietPeriodSeconds = r.seconds('KDP_DRAIN_QUIET_PERIOD_SECONDS', false) ?? KNATIVE_DRAIN_QUIET_PERIOD_SECONDS;
  if (drainQuietPeriodSeconds < 0) {
    r.problem('KDP_DRAIN_QUIET_PERIOD_SECONDS', `must not be negative, got ${String(drainQuietPeriodSeconds)}`);
    drainQuietPeriodSeconds = 0;
  }
  const requestLog = r.bool('KDP_REQUEST_LOG', false);

  let readinessProbes: readonly ProbeSpec[] = [];
  if (multiProbesValid) {
    const decoded = decodeProbes(readinessProbeJson, enableMultiContainerProbes, { userHost, userPort });
    if (decoded.ok) readinessProbes = decoded.probes;
    else for (const problem of decoded.problems) r.problem('SERVING_READINESS_PROBE', problem);
  }

  if (r.problems.length > 0) throw new ConfigError(r.problems);

  return deepFreeze<Config>({
    containerConcurrency: Math.max(0, containerConcurrency),
    servingPort,
    servingTlsPort,
    userPort,
    revisionTimeoutMs: (revisionTimeoutSeconds ?? 0) * 1000,
    responseStartTimeoutMs: Math.max(0, responseStartTimeoutSeconds) * 1000,
    idleTimeoutMs: Math.max(0, idleTimeoutSeconds) * 1000,
    readinessProbes,
    enableMultiContainerProbes,
    enableHttp2AutoDetection,
    enableHttpFullDuplex,
    loggingConfig,
    logLevel,
    servingNamespace,
    servingService,
    servingConfiguration,
    servingRevision,
    servingPod,
    servingPodIp,
    observability,
    tls,
    otelServiceName,
    bindHost,
    userHost,
    adminPort,
    metricsPort,
    userMetricsEnabled: userMetrics.enabled,
    userMetricsPort: userMetrics.port,
    userMetricsHost: userMetrics.host,
    drainQuietPeriodMs: drainQuietPeriodSeconds * 1000,
    requestLog,
    warnings: r.warnings,
  });
}
