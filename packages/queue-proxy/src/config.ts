// The queue-proxy configuration: every environment variable of docs/contract/queue-proxy.md §1.3, read once with core's EnvReader, which
// follows Knative's envconfig (S:pkg/queue/sharedmain/main.go#config): "required" means present, an empty string is
// a valid string, a present but empty int or bool is an error, ints and bools parse as Go's strconv does.
// Plus kdp's own KDP_* variables, each defaulting to Knative's fixed value, so several queue-proxies can share one
// machine. All problems are collected and thrown together as one ConfigError; the result is frozen.
//
// Where Knative starts and then misbehaves (a port that is not a port, a zero revision timeout, a probe that can
// never pass), kdp fails at start instead. Where Knative silently tolerates something cosmetic (an unknown log
// level), kdp tolerates it too and lists it in `warnings` for the caller to log.
import { EnvReader } from '@kdp/core/env';

import { QUEUE_PROXY_WORDING, readIpAddress, readPort, timerSeconds } from './config-env.js';
import { parseLogLevel, type LogLevel } from './config-logging.js';
import { detectGeneration, legacyWarnings, readLegacyObservability, resolveLegacyUserMetrics } from './config-legacy.js';
import type { KnativeGeneration, LegacyObservability } from './config-legacy.js';
import { observabilityWarnings, readObservability, resolveUserMetrics, type ObservabilityConfig } from './config-observability.js';
import { readTls, type TlsSettings } from './config-tls.js';
import { decodeProbes, type ProbeSpec } from './health/probe-decode.js';

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
  /** Which Knative environment this is: 1.12-1.18 (`legacy-env`) or 1.19+ (`observability-config`). */
  readonly knativeGeneration: KnativeGeneration;
  /** OBSERVABILITY_CONFIG decoded; its defaults (everything off) on 1.12-1.18, where it does not exist. */
  readonly observability: ObservabilityConfig;
  /** The 1.12-1.18 observability variables; null on 1.19+, which ignores them. */
  readonly legacyObservability: LegacyObservability | null;
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
  /**
   * What it serves: `otel`, 1.19+'s names (kn_serving_*, via the OTel Prometheus exporter), or `opencensus`,
   * 1.12-1.18's (revision_*, via the OpenCensus Prometheus exporter); follows `knativeGeneration`.
   */
  readonly userMetricsFormat: 'otel' | 'opencensus';
  readonly drainQuietPeriodMs: number;
  /** KDP_REQUEST_LOG: kdp's own per-request debug log line; unrelated to Knative's templated request log. */
  readonly requestLog: boolean;
  /** Tolerated oddities, one line each, for the caller to log once the logger exists. */
  readonly warnings: readonly string[];
}

// Defaults, with where they come from.

// S:pkg/networking/constants.go#QueueAdminPort
const KNATIVE_ADMIN_PORT = 8022;
// S:pkg/networking/constants.go#AutoscalingQueueMetricsPort
const KNATIVE_METRICS_PORT = 9090;
// S:pkg/queue/sharedmain/main.go#drainSleepDuration
const KNATIVE_DRAIN_QUIET_PERIOD_SECONDS = 30;
// S:pkg/queue/sharedmain/main.go#buildProxyHandler dials net.JoinHostPort("127.0.0.1", env.UserPort).
const KNATIVE_USER_HOST = '127.0.0.1';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Reads the queue-proxy configuration from `env`; throws one ConfigError listing every problem. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const r = new EnvReader(env, { wording: QUEUE_PROXY_WORDING });
  const warnings: string[] = [];

  const containerConcurrency = r.int('CONTAINER_CONCURRENCY', { required: true });
  const servingPort = readPort(r, 'QUEUE_SERVING_PORT', true, 0);
  const servingTlsPort = readPort(r, 'QUEUE_SERVING_TLS_PORT', true, 0);
  const userPort = readPort(r, 'USER_PORT', true, 0);

  // Knative would time every request out at once (a zero timer); the controller never sends <= 0.
  const revisionTimeoutSeconds = r.int('REVISION_TIMEOUT_SECONDS', {
    required: true,
    check: timerSeconds((s) => (s <= 0 ? `must be greater than 0, got ${String(s)}` : undefined)),
  });
  const responseStartTimeoutSeconds = r.int('REVISION_RESPONSE_START_TIMEOUT_SECONDS', { check: timerSeconds() });
  const idleTimeoutSeconds = r.int('REVISION_IDLE_TIMEOUT_SECONDS', { check: timerSeconds() });

  const readinessProbeJson = r.string('SERVING_READINESS_PROBE');
  const multiProbesProblemsBefore = r.problems.length;
  const enableMultiContainerProbes = r.bool('ENABLE_MULTI_CONTAINER_PROBES', false);
  const multiProbesValid = r.problems.length === multiProbesProblemsBefore;
  const enableHttp2AutoDetection = r.bool('ENABLE_HTTP2_AUTO_DETECTION', false);
  const enableHttpFullDuplex = r.bool('ENABLE_HTTP_FULL_DUPLEX', false);

  const required = { required: true } as const;
  const loggingConfig = r.string('SERVING_LOGGING_CONFIG', required);
  const loggingLevel = r.string('SERVING_LOGGING_LEVEL', required);
  const servingNamespace = r.string('SERVING_NAMESPACE', required);
  const servingService = r.string('SERVING_SERVICE');
  const servingConfiguration = r.string('SERVING_CONFIGURATION', required);
  const servingRevision = r.string('SERVING_REVISION', required);
  const servingPod = r.string('SERVING_POD', required);
  const servingPodIp = r.string('SERVING_POD_IP', required);

  const knativeGeneration = detectGeneration(r, warnings);
  // Each generation's variables are validated only on that generation, as only its queue-proxy reads them.
  const legacyObservability = knativeGeneration === 'legacy-env' ? readLegacyObservability(r) : null;
  const observability = readObservability(r);
  const tls = readTls(r);
  const logLevel = parseLogLevel(loggingConfig, loggingLevel, warnings);
  const otelNames = [r.string('OTEL_SERVICE_NAME'), servingService, servingConfiguration, servingRevision, r.string('POD_NAME'), r.string('HOSTNAME'), servingPod];
  const otelServiceName = otelNames.find((v) => v !== '') ?? '';

  // kdp extensions. KDP_BIND_HOST defaults to '', all interfaces (Node's unspecified address: `::` dual-stack,
  // falling back to 0.0.0.0 without IPv6), which is what Go's ":8012" listens on; a fixed 0.0.0.0 would break
  // IPv6-only clusters. Tests and local runs set 127.0.0.1.
  const bindHost = readIpAddress(r, 'KDP_BIND_HOST') ?? '';
  // An empty user host would make Go dial "localhost" by accident; kdp asks for an address.
  if (r.lookup('KDP_USER_HOST') === '') r.problem('KDP_USER_HOST', 'set but empty; expected an IP address');
  const userHost = readIpAddress(r, 'KDP_USER_HOST') ?? KNATIVE_USER_HOST;
  const adminPort = readPort(r, 'KDP_ADMIN_PORT', false, KNATIVE_ADMIN_PORT);
  const metricsPort = readPort(r, 'KDP_METRICS_PORT', false, KNATIVE_METRICS_PORT);
  const userMetrics =
    legacyObservability === null ? resolveUserMetrics(r, observability.requestMetrics, bindHost) : resolveLegacyUserMetrics(r, legacyObservability, bindHost);
  warnings.push(...(legacyObservability === null ? observabilityWarnings(observability) : legacyWarnings(legacyObservability)));
  // 0 means no quiet period (useful in tests); knative/pkg's Drainer would read 0 as its own 45 s default.
  const drainQuietPeriodSeconds = r.int('KDP_DRAIN_QUIET_PERIOD_SECONDS', {
    default: KNATIVE_DRAIN_QUIET_PERIOD_SECONDS,
    check: timerSeconds((s) => (s < 0 ? `must not be negative, got ${String(s)}` : undefined)),
  });
  const requestLog = r.bool('KDP_REQUEST_LOG', false);

  let readinessProbes: readonly ProbeSpec[] = [];
  if (multiProbesValid) {
    const decoded = decodeProbes(readinessProbeJson, enableMultiContainerProbes, { userHost, userPort });
    if (decoded.ok) readinessProbes = decoded.probes;
    else for (const problem of decoded.problems) r.problem('SERVING_READINESS_PROBE', problem);
  }

  r.throwIfProblems('queue-proxy');

  return deepFreeze<Config>({
    containerConcurrency: Math.max(0, containerConcurrency),
    servingPort,
    servingTlsPort,
    userPort,
    revisionTimeoutMs: revisionTimeoutSeconds * 1000,
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
    knativeGeneration,
    observability,
    legacyObservability,
    tls,
    otelServiceName,
    bindHost,
    userHost,
    adminPort,
    metricsPort,
    userMetricsEnabled: userMetrics.enabled,
    userMetricsPort: userMetrics.port,
    userMetricsHost: userMetrics.host,
    userMetricsFormat: legacyObservability === null ? 'otel' : 'opencensus',
    drainQuietPeriodMs: drainQuietPeriodSeconds * 1000,
    requestLog,
    warnings,
  });
}
