import { describe, expect, it } from 'vitest';

import { ConfigError } from '@kdp/core';

import { parseGoFloat } from './config-legacy.js';
import { parseConfig, type Config } from './config.js';
import { KNATIVE_1_18_OBSERVABILITY_ENV } from './testdata/knative-1.18-env.js';

// The variables every Knative controller injects, whatever its release.
const COMMON: Readonly<Record<string, string>> = {
  CONTAINER_CONCURRENCY: '0',
  QUEUE_SERVING_PORT: '8012',
  QUEUE_SERVING_TLS_PORT: '8112',
  USER_PORT: '8080',
  REVISION_TIMEOUT_SECONDS: '300',
  SERVING_LOGGING_CONFIG: '',
  SERVING_LOGGING_LEVEL: '',
  SERVING_NAMESPACE: 'default',
  SERVING_SERVICE: 'hello',
  SERVING_CONFIGURATION: 'hello',
  SERVING_REVISION: 'hello-00001',
  SERVING_POD: 'hello-00001-deployment-7d9f-abcde',
  SERVING_POD_IP: '10.0.0.5',
};

// What a 1.12-1.18 controller adds (testdata/knative-1.18-env.ts).
const V1_18: Readonly<Record<string, string>> = { ...COMMON, ...KNATIVE_1_18_OBSERVABILITY_ENV };

// What a 1.19+ controller adds instead (S@knative-v1.23.0:pkg/reconciler/revision/resources/queue.go).
const V1_19: Readonly<Record<string, string>> = {
  ...COMMON,
  OBSERVABILITY_CONFIG: '{"tracing":{"protocol":"none"},"metrics":{"protocol":"prometheus"},"runtime":{"profiling":"disabled"},"requestMetrics":{"protocol":"prometheus"}}',
  ENABLE_HTTP2_AUTO_DETECTION: 'false',
  ENABLE_HTTP_FULL_DUPLEX: 'false',
  ENABLE_MULTI_CONTAINER_PROBES: 'false',
};

type Env = Readonly<Record<string, string | undefined>>;

function env(base: Env, overrides: Env = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries({ ...base, ...overrides })) if (value !== undefined) out[key] = value;
  return out;
}

function problems(e: NodeJS.ProcessEnv): readonly string[] {
  try {
    parseConfig(e);
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
  return [];
}

describe('release generation', () => {
  it.each([
    ['1.12-1.18 defaults', V1_18, {}, 'legacy-env', { userMetricsEnabled: true, userMetricsPort: 9091, userMetricsFormat: 'opencensus' }],
    ['1.19+ defaults', V1_19, {}, 'observability-config', { userMetricsEnabled: true, userMetricsPort: 9091, userMetricsFormat: 'otel' }],
    ['neither (a hand-written environment)', COMMON, {}, 'observability-config', { userMetricsEnabled: false, userMetricsFormat: 'otel' }],
    ['one legacy variable is enough', COMMON, { TRACING_CONFIG_BACKEND: 'none' }, 'legacy-env', { userMetricsEnabled: false }],
    ['OBSERVABILITY_CONFIG wins, even empty', V1_18, { OBSERVABILITY_CONFIG: '' }, 'observability-config', { userMetricsEnabled: false, legacyObservability: null }],
  ] as const)('%s → %s', (_name, base, overrides, generation, expected) => {
    const c = parseConfig(env(base, overrides));
    expect(c.knativeGeneration).toBe(generation);
    expect(c).toMatchObject(expected);
  });

  it('decodes every 1.12-1.18 observability variable', () => {
    const c = parseConfig(env(V1_18));
    expect(c.legacyObservability).toEqual({
      requestMetricsBackend: 'prometheus',
      requestMetricsBackendRaw: 'prometheus',
      requestMetricsReportingPeriodSeconds: 5,
      metricsCollectorAddress: '',
      enableRequestLog: false,
      requestLogTemplate: '{"httpRequest": {"requestMethod": "{{.Request.Method}}"}}',
      enableProbeRequestLog: false,
      tracing: { backend: 'none', debug: false, sampleRate: 0.1, zipkinEndpoint: '' },
      enableProfiling: false,
    });
    expect(c.warnings).toEqual([]);
    // 1.12-1.18 have no OBSERVABILITY_CONFIG: its decoded defaults say everything is off.
    expect(c.observability.requestMetrics.protocol).toBe('none');
  });

  it('warns that legacy variables are ignored next to OBSERVABILITY_CONFIG', () => {
    const c = parseConfig(env(V1_19, { SERVING_REQUEST_METRICS_BACKEND: 'prometheus', ENABLE_PROFILING: 'true' }));
    expect(c.legacyObservability).toBeNull();
    expect(c.warnings).toEqual(['ENABLE_PROFILING, SERVING_REQUEST_METRICS_BACKEND: ignored; OBSERVABILITY_CONFIG is set, and Knative 1.19+ reads only that']);
  });

  it('does not validate legacy variables on 1.19+, whose queue-proxy does not read them', () => {
    expect(problems(env(V1_19, { TRACING_CONFIG_DEBUG: 'yes', SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS: 'x' }))).toEqual([]);
  });
});

describe('1.12-1.18: the 9091 endpoint (S@knative-v1.18.2:pkg/queue/sharedmain/main.go#supportsMetrics)', () => {
  it.each([
    ['prometheus', {}, { userMetricsEnabled: true, userMetricsPort: 9091, userMetricsHost: '' }],
    ['any case, as knative.dev/pkg lower-cases it', { SERVING_REQUEST_METRICS_BACKEND: 'Prometheus' }, { userMetricsEnabled: true }],
    ['empty backend: off', { SERVING_REQUEST_METRICS_BACKEND: '' }, { userMetricsEnabled: false }],
    ['none: off', { SERVING_REQUEST_METRICS_BACKEND: 'none' }, { userMetricsEnabled: false }],
    ['opencensus: off', { SERVING_REQUEST_METRICS_BACKEND: 'opencensus', METRICS_COLLECTOR_ADDRESS: 'otel:55678' }, { userMetricsEnabled: false }],
    ['KDP_USER_METRICS_PORT moves it', { KDP_USER_METRICS_PORT: '19091' }, { userMetricsEnabled: true, userMetricsPort: 19091 }],
    ['KDP_USER_METRICS_PORT turns it on for opencensus', { SERVING_REQUEST_METRICS_BACKEND: 'opencensus', KDP_USER_METRICS_PORT: '19091' }, { userMetricsEnabled: true, userMetricsFormat: 'opencensus' }],
    // setupMetricsExporter passes port 9091 explicitly; knative.dev/pkg reads METRICS_PROMETHEUS_PORT only for port 0.
    ['METRICS_PROMETHEUS_PORT has no effect', { METRICS_PROMETHEUS_PORT: '9095' }, { userMetricsPort: 9091 }],
    ['METRICS_PROMETHEUS_HOST', { METRICS_PROMETHEUS_HOST: '127.0.0.3' }, { userMetricsHost: '127.0.0.3' }],
    ['bind host by default', { KDP_BIND_HOST: '127.0.0.1' }, { userMetricsHost: '127.0.0.1' }],
  ] as const)('%s', (_name, overrides, expected) => {
    expect(parseConfig(env(V1_18, overrides))).toMatchObject(expected);
  });
});

describe('1.12-1.18: what kdp does not do is one warning each, and kdp starts', () => {
  it.each([
    [{ SERVING_REQUEST_METRICS_BACKEND: 'opencensus', METRICS_COLLECTOR_ADDRESS: 'otel:55678' }, /^SERVING_REQUEST_METRICS_BACKEND: "opencensus" is not supported by kdp: nothing is pushed to METRICS_COLLECTOR_ADDRESS "otel:55678"/u],
    [{ SERVING_REQUEST_METRICS_BACKEND: 'stackdriver' }, /^SERVING_REQUEST_METRICS_BACKEND: unsupported metrics backend value "stackdriver" \(expected prometheus, opencensus or none\); request metrics are off, as in Knative$/u],
    [{ SERVING_ENABLE_REQUEST_LOG: 'true' }, /^SERVING_ENABLE_REQUEST_LOG: kdp does not write Knative's templated request log/u],
    [{ TRACING_CONFIG_BACKEND: 'zipkin', TRACING_CONFIG_ZIPKIN_ENDPOINT: 'http://zipkin:9411/api/v2/spans' }, /^TRACING_CONFIG_BACKEND: "zipkin": kdp does not trace/u],
    [{ ENABLE_PROFILING: 'true' }, /^ENABLE_PROFILING: kdp serves no profiling endpoint/u],
  ])('%j', (overrides, message) => {
    const c = parseConfig(env(V1_18, overrides));
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(message);
  });

  it.each([
    ['an empty tracing backend', { TRACING_CONFIG_BACKEND: '' }],
    ['a probe request log without the request log', { SERVING_ENABLE_PROBE_REQUEST_LOG: 'true' }],
    ['a zero reporting period', { SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS: '0' }],
  ])('no warning for %s', (_name, overrides) => {
    expect(parseConfig(env(V1_18, overrides)).warnings).toEqual([]);
  });
});

describe('1.12-1.18: envconfig validation, one problem line each', () => {
  it.each([
    ['SERVING_ENABLE_REQUEST_LOG', 'yes', 'SERVING_ENABLE_REQUEST_LOG: invalid boolean "yes" (expected 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False)'],
    ['SERVING_ENABLE_PROBE_REQUEST_LOG', '', 'SERVING_ENABLE_PROBE_REQUEST_LOG: set but empty; expected a boolean'],
    ['TRACING_CONFIG_DEBUG', 'on', 'TRACING_CONFIG_DEBUG: invalid boolean "on" (expected 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False)'],
    ['ENABLE_PROFILING', 'enabled', 'ENABLE_PROFILING: invalid boolean "enabled" (expected 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False)'],
    ['SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS', '5s', 'SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS: invalid integer "5s"'],
    ['SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS', '', 'SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS: set but empty; expected an integer'],
    ['TRACING_CONFIG_SAMPLE_RATE', '10%', 'TRACING_CONFIG_SAMPLE_RATE: invalid number "10%"'],
    ['TRACING_CONFIG_SAMPLE_RATE', '1e400', 'TRACING_CONFIG_SAMPLE_RATE: number "1e400" out of range for float64'],
    ['TRACING_CONFIG_SAMPLE_RATE', '', 'TRACING_CONFIG_SAMPLE_RATE: set but empty; expected a number'],
  ])('%s=%j', (name, value, line) => {
    expect(problems(env(V1_18, { [name]: value }))).toEqual([line]);
  });

  // Checked with envconfig v1.4.0 as vendored by Knative 1.12.4: base-0 ints, any float spelling Go accepts.
  it.each([
    ['SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS', '0x10', (c: Config) => c.legacyObservability?.requestMetricsReportingPeriodSeconds, 16],
    ['TRACING_CONFIG_SAMPLE_RATE', '1_0e-1', (c: Config) => c.legacyObservability?.tracing.sampleRate, 1],
    ['TRACING_CONFIG_BACKEND', 'whatever', (c: Config) => c.legacyObservability?.tracing.backend, 'whatever'],
  ] as const)('%s=%j is accepted', (name, value, read, expected) => {
    expect(read(parseConfig(env(V1_18, { [name]: value })))).toBe(expected);
  });

  it('reports every problem at once', () => {
    const lines = problems(env(V1_18, { TRACING_CONFIG_DEBUG: 'x', SERVING_ENABLE_REQUEST_LOG: 'x', SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS: 'x', CONTAINER_CONCURRENCY: 'x' }));
    expect(lines.map((l) => l.slice(0, l.indexOf(':'))).sort()).toEqual(
      ['CONTAINER_CONCURRENCY', 'SERVING_ENABLE_REQUEST_LOG', 'SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS', 'TRACING_CONFIG_DEBUG'].sort(),
    );
  });
});

describe('1.19+: what kdp does not do is one warning each', () => {
  it.each([
    ['{"requestMetrics":{"protocol":"grpc","endpoint":"http://otel:4317"}}', /^OBSERVABILITY_CONFIG: requestMetrics\.protocol "grpc": kdp does not push OTLP metrics/u],
    ['{"tracing":{"protocol":"grpc","endpoint":"http://otel:4317"}}', /^OBSERVABILITY_CONFIG: tracing\.protocol "grpc": kdp does not trace/u],
    ['{"enableRequestLog":true}', /^OBSERVABILITY_CONFIG: enableRequestLog: kdp does not write Knative's templated request log/u],
    ['{"runtime":{"profiling":"enabled"}}', /^OBSERVABILITY_CONFIG: runtime\.profiling: kdp serves no profiling endpoint/u],
  ])('%s', (raw, message) => {
    const c: Config = parseConfig(env(V1_19, { OBSERVABILITY_CONFIG: raw }));
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(message);
  });

  it('no warning for the defaults', () => {
    expect(parseConfig(env(V1_19)).warnings).toEqual([]);
  });
});

// Expected values printed by Go 1.19's strconv.ParseFloat(s, 64) for each input.
describe('Go strconv.ParseFloat(s, 64)', () => {
  it.each([
    ['0.1', 0.1],
    ['1', 1],
    ['1_000.5', 1000.5],
    ['1e-400', 0],
    ['inf', Infinity],
    ['+Inf', Infinity],
    ['-infinity', -Infinity],
    ['.5', 0.5],
    ['5.', 5],
    ['0x1p-2', 0.25],
    ['0x1.8p1', 3],
    ['0x_1p0', 1],
    ['0.1e+2', 10],
    ['01.5', 1.5],
    ['0x.8p1', 1],
    ['0x1.p1', 2],
    ['1e1_0', 1e10],
    ['0x1_0p0', 16],
    ['-0x1p-2', -0.25],
  ])('%j → %d', (s, value) => {
    expect(parseGoFloat(s)).toEqual({ ok: true, value });
  });

  it.each(['nan', 'NaN'])('%j → NaN', (s) => {
    const r = parseGoFloat(s);
    expect(r.ok && Number.isNaN(r.value)).toBe(true);
  });

  it.each([
    ['_1', 'syntax'],
    ['1e400', 'range'],
    ['-1e400', 'range'],
    ['+nan', 'syntax'],
    ['0x1', 'syntax'],
    [' 1', 'syntax'],
    ['1 ', 'syntax'],
    ['', 'syntax'],
    ['1e', 'syntax'],
    ['1__0', 'syntax'],
    ['0b1', 'syntax'],
    ['0o7', 'syntax'],
    ['infx', 'syntax'],
    ['0x_.8p1', 'syntax'],
    ['1_e1', 'syntax'],
  ])('%j → %s error', (s, error) => {
    expect(parseGoFloat(s)).toEqual({ ok: false, error });
  });
});
