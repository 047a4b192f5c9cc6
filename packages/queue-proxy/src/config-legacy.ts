// Which Knative release generation wrote this environment, and the observability variables of the older one.
//
// Knative 1.12-1.18 configure the queue-proxy's request metrics, request log, tracing and profiling with separate
// variables, read by envconfig into its `config` struct (S@knative-v1.18.2:pkg/queue/sharedmain/main.go#config,
// injected by S@knative-v1.18.2:pkg/reconciler/revision/resources/queue.go#makeQueueContainer). Knative 1.19
// replaced them all with one OBSERVABILITY_CONFIG JSON (S@knative-v1.19.0:pkg/queue/sharedmain/main.go), and its
// queue-proxy no longer reads the old names at all.
//
// kdp reads whichever the environment carries: OBSERVABILITY_CONFIG present means 1.19 or later, whatever else is
// set (that is what a 1.19+ queue-proxy would read); otherwise any of the legacy variables means 1.12-1.18, and
// they are validated as envconfig does (a malformed bool, int or float is fatal there, so it is a problem here);
// neither means the defaults of both, which agree: request metrics, request log and tracing off.
import type { EnvReader } from '@kdp/core';

import { quote, readPort } from './config-env.js';

/** `legacy-env`: Knative 1.12-1.18. `observability-config`: Knative 1.19 and later (also when neither is set). */
export type KnativeGeneration = 'legacy-env' | 'observability-config';

/**
 * S@knative-v1.18.2:vendor/knative.dev/pkg/metrics/config.go#createMetricsConfig lower-cases the backend and knows
 * three; '' is S@knative-v1.18.2:pkg/queue/sharedmain/main.go#supportsMetrics's "off"; anything else is `invalid`
 * (Knative logs an error and runs without request metrics).
 */
export type LegacyMetricsBackend = '' | 'prometheus' | 'opencensus' | 'none' | 'invalid';

/** The legacy observability variables, as envconfig decodes them. */
export interface LegacyObservability {
  readonly requestMetricsBackend: LegacyMetricsBackend;
  /** SERVING_REQUEST_METRICS_BACKEND as given. */
  readonly requestMetricsBackendRaw: string;
  /** Only shapes OpenCensus push; a Prometheus scrape reads current values. */
  readonly requestMetricsReportingPeriodSeconds: number;
  readonly metricsCollectorAddress: string;
  readonly enableRequestLog: boolean;
  readonly requestLogTemplate: string;
  readonly enableProbeRequestLog: boolean;
  readonly tracing: { readonly backend: string; readonly debug: boolean; readonly sampleRate: number; readonly zipkinEndpoint: string };
  readonly enableProfiling: boolean;
}

/** Every variable of the legacy `config` struct that 1.19 removed, in struct order. */
export const LEGACY_OBSERVABILITY_VARIABLES: readonly string[] = Object.freeze([
  'ENABLE_PROFILING',
  'SERVING_REQUEST_LOG_TEMPLATE',
  'SERVING_ENABLE_REQUEST_LOG',
  'SERVING_ENABLE_PROBE_REQUEST_LOG',
  'SERVING_REQUEST_METRICS_BACKEND',
  'SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS',
  'METRICS_COLLECTOR_ADDRESS',
  'TRACING_CONFIG_DEBUG',
  'TRACING_CONFIG_BACKEND',
  'TRACING_CONFIG_SAMPLE_RATE',
  'TRACING_CONFIG_ZIPKIN_ENDPOINT',
]);

/** Decides the generation; with OBSERVABILITY_CONFIG set, legacy variables present are listed in `warnings`. */
export function detectGeneration(r: EnvReader, warnings: string[]): KnativeGeneration {
  const legacy = LEGACY_OBSERVABILITY_VARIABLES.filter((name) => r.lookup(name) !== undefined);
  if (r.lookup('OBSERVABILITY_CONFIG') !== undefined) {
    if (legacy.length > 0) {
      warnings.push(`${legacy.join(', ')}: ignored; OBSERVABILITY_CONFIG is set, and Knative 1.19+ reads only that`);
    }
    return 'observability-config';
  }
  return legacy.length > 0 ? 'legacy-env' : 'observability-config';
}

/** Reads and validates the legacy variables (envconfig: absent is the zero value; present must parse). */
export function readLegacyObservability(r: EnvReader): LegacyObservability {
  const backendRaw = r.string('SERVING_REQUEST_METRICS_BACKEND');
  return {
    requestMetricsBackend: legacyBackend(backendRaw),
    requestMetricsBackendRaw: backendRaw,
    requestMetricsReportingPeriodSeconds: r.int('SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS'),
    metricsCollectorAddress: r.string('METRICS_COLLECTOR_ADDRESS'),
    enableRequestLog: r.bool('SERVING_ENABLE_REQUEST_LOG', false),
    requestLogTemplate: r.string('SERVING_REQUEST_LOG_TEMPLATE'),
    enableProbeRequestLog: r.bool('SERVING_ENABLE_PROBE_REQUEST_LOG', false),
    tracing: {
      backend: r.string('TRACING_CONFIG_BACKEND'),
      debug: r.bool('TRACING_CONFIG_DEBUG', false),
      sampleRate: readFloat(r, 'TRACING_CONFIG_SAMPLE_RATE'),
      zipkinEndpoint: r.string('TRACING_CONFIG_ZIPKIN_ENDPOINT'),
    },
    enableProfiling: r.bool('ENABLE_PROFILING', false),
  };
}

function legacyBackend(raw: string): LegacyMetricsBackend {
  if (raw === '') return '';
  // Go's strings.ToLower; the three names are ASCII.
  const lower = raw.toLowerCase();
  return lower === 'prometheus' || lower === 'opencensus' || lower === 'none' ? lower : 'invalid';
}

/**
 * What Knative 1.12-1.18 would do that kdp does not, one line each for the startup log. Knative itself starts in
 * all these cases (an exporter that fails to start only logs an error), so kdp starts too.
 */
export function legacyWarnings(o: LegacyObservability): string[] {
  const out: string[] = [];
  switch (o.requestMetricsBackend) {
    case '':
    case 'none':
    case 'prometheus':
      break;
    case 'opencensus':
      out.push(
        `SERVING_REQUEST_METRICS_BACKEND: ${quote(o.requestMetricsBackendRaw)} is not supported by kdp: nothing is pushed to METRICS_COLLECTOR_ADDRESS ${quote(o.metricsCollectorAddress)} (KDP_USER_METRICS_PORT serves the metrics for Prometheus instead)`,
      );
      break;
    case 'invalid':
      // S@knative-v1.18.2:vendor/knative.dev/pkg/metrics/config.go: `unsupported metrics backend value`.
      out.push(`SERVING_REQUEST_METRICS_BACKEND: unsupported metrics backend value ${quote(o.requestMetricsBackendRaw)} (expected prometheus, opencensus or none); request metrics are off, as in Knative`);
      break;
  }
  if (o.enableRequestLog) {
    out.push('SERVING_ENABLE_REQUEST_LOG: kdp does not write Knative\'s templated request log (SERVING_REQUEST_LOG_TEMPLATE); no request log is written (KDP_REQUEST_LOG=true gives kdp\'s own debug line)');
  }
  // Knative 1.18 enables tracing for any backend but "none", including an empty one; only a real exporter matters.
  if (o.tracing.backend !== '' && o.tracing.backend !== 'none') {
    out.push(`TRACING_CONFIG_BACKEND: ${quote(o.tracing.backend)}: kdp does not trace; no spans are sent to TRACING_CONFIG_ZIPKIN_ENDPOINT`);
  }
  if (o.enableProfiling) out.push('ENABLE_PROFILING: kdp serves no profiling endpoint (Knative: :8008)');
  return out;
}

// S@knative-v1.18.2:pkg/networking/constants.go#UserQueueMetricsPort; setupMetricsExporter passes it explicitly,
// so METRICS_PROMETHEUS_PORT (read only when that port is 0) has no effect on 1.12-1.18.
const KNATIVE_USER_METRICS_PORT = 9091;

/**
 * The 9091 endpoint on 1.12-1.18: served for backend `prometheus`, or when KDP_USER_METRICS_PORT asks for it.
 * Host: METRICS_PROMETHEUS_HOST (knative.dev/pkg metrics#prometheusHost; its default 0.0.0.0 is kdp's bind host).
 */
export function resolveLegacyUserMetrics(r: EnvReader, o: LegacyObservability, bindHost: string): { enabled: boolean; port: number; host: string } {
  const explicit = r.lookup('KDP_USER_METRICS_PORT') !== undefined;
  if (o.requestMetricsBackend !== 'prometheus' && !explicit) return { enabled: false, port: KNATIVE_USER_METRICS_PORT, host: bindHost };
  const port = explicit ? readPort(r, 'KDP_USER_METRICS_PORT', false, KNATIVE_USER_METRICS_PORT) : KNATIVE_USER_METRICS_PORT;
  const envHost = r.string('METRICS_PROMETHEUS_HOST');
  return { enabled: true, port, host: envHost !== '' ? envHost : bindHost };
}

// ---------------------------------------------------------------------------------------------------------------
// Go strconv.ParseFloat(s, 64), which envconfig uses for float64 fields. Decimal and hexadecimal literals with
// Go's digit separators, "inf"/"infinity" (signed, any case) and "nan" (unsigned, any case); beyond float64 is a
// range error. Checked against Go 1.19 (see config-legacy.test.ts).

const DIGITS = String.raw`\d(?:_?\d)*`;
const HEX_DIGITS = String.raw`[0-9a-fA-F](?:_?[0-9a-fA-F])*`;
const DECIMAL = new RegExp(String.raw`^[+-]?(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`, 'u');
// Go allows "_" right after the prefix only before a digit ("0x_1p0", not "0x_.8p1").
const HEX = new RegExp(String.raw`^([+-]?)0[xX](?:_?(${HEX_DIGITS})(?:\.(${HEX_DIGITS})?)?|\.(${HEX_DIGITS}))[pP]([+-]?${DIGITS})$`, 'u');

export type GoFloat = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: 'syntax' | 'range' };

export function parseGoFloat(s: string): GoFloat {
  if (/^[+-]?inf(?:inity)?$/iu.test(s)) return { ok: true, value: s.startsWith('-') ? -Infinity : Infinity };
  if (/^nan$/iu.test(s)) return { ok: true, value: NaN };
  let value: number;
  if (DECIMAL.test(s)) {
    value = Number(s.replaceAll('_', ''));
  } else {
    const m = HEX.exec(s);
    if (m === null) return { ok: false, error: 'syntax' };
    const [, sign = '', int = '', frac = '', fracOnly = ''] = m;
    const fraction = (frac + fracOnly).replaceAll('_', '');
    const mantissa = Number.parseInt((int.replaceAll('_', '') || '0') + fraction, 16);
    value = mantissa * 2 ** (Number((m[5] ?? '0').replaceAll('_', '')) - 4 * fraction.length);
    if (sign === '-') value = -value;
  }
  return Number.isFinite(value) ? { ok: true, value } : { ok: false, error: 'range' };
}

function readFloat(r: EnvReader, name: string): number {
  const raw = r.lookup(name);
  if (raw === undefined) return 0;
  if (raw === '') {
    r.problem(name, 'set but empty; expected a number');
    return 0;
  }
  const parsed = parseGoFloat(raw);
  if (parsed.ok) return parsed.value;
  r.problem(name, parsed.error === 'range' ? `number ${quote(raw)} out of range for float64` : `invalid number ${quote(raw)}`);
  return 0;
}
