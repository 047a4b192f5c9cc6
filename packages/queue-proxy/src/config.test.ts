import { describe, expect, it } from 'vitest';

import { ConfigError, parseGoBool, parseGoInt64 } from '@kdp/core';

import { parseConfig, type Config } from './config.js';
import { DEFAULT_REQUEST_LOG_TEMPLATE } from './config-observability.js';

// What the Knative controller injects for a plain HTTP/1 revision (S:pkg/reconciler/revision/resources/queue.go).
const BASE: Readonly<Record<string, string>> = {
  CONTAINER_CONCURRENCY: '0',
  QUEUE_SERVING_PORT: '8012',
  QUEUE_SERVING_TLS_PORT: '8112',
  USER_PORT: '8080',
  REVISION_TIMEOUT_SECONDS: '300',
  SERVING_LOGGING_CONFIG: '',
  SERVING_LOGGING_LEVEL: '',
  SERVING_NAMESPACE: 'default',
  SERVING_CONFIGURATION: 'hello',
  SERVING_REVISION: 'hello-00001',
  SERVING_POD: 'hello-00001-deployment-7d9f-abcde',
  SERVING_POD_IP: '10.0.0.5',
};

type Env = Record<string, string | undefined>;

function env(overrides: Env = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...BASE };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

function problems(e: NodeJS.ProcessEnv): readonly string[] {
  try {
    parseConfig(e);
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function parse(overrides: Env = {}): Config {
  return parseConfig(env(overrides));
}

describe('parseConfig: a controller-injected environment', () => {
  it('parses with Knative defaults for everything optional', () => {
    const c = parse();
    expect(c).toMatchObject({
      containerConcurrency: 0,
      servingPort: 8012,
      servingTlsPort: 8112,
      userPort: 8080,
      revisionTimeoutMs: 300_000,
      responseStartTimeoutMs: 0,
      idleTimeoutMs: 0,
      readinessProbes: [],
      enableMultiContainerProbes: false,
      enableHttp2AutoDetection: false,
      enableHttpFullDuplex: false,
      loggingConfig: '',
      logLevel: 'info',
      servingNamespace: 'default',
      servingService: '',
      servingConfiguration: 'hello',
      servingRevision: 'hello-00001',
      servingPod: 'hello-00001-deployment-7d9f-abcde',
      servingPodIp: '10.0.0.5',
      tls: { minVersion: 'TLSv1.3', maxVersion: undefined, ciphers: [], ecdhCurves: [] },
      bindHost: '',
      userHost: '127.0.0.1',
      adminPort: 8022,
      metricsPort: 9090,
      userMetricsEnabled: false,
      userMetricsPort: 9091,
      drainQuietPeriodMs: 30_000,
      requestLog: false,
      warnings: [],
    });
    expect(c.observability).toEqual({
      tracing: { protocol: 'none', endpoint: '', samplingRate: 0 },
      metrics: { protocol: 'none', endpoint: '', exportIntervalMs: 0 },
      runtime: { profiling: 'disabled', exportIntervalMs: 15_000 },
      requestMetrics: { protocol: 'none', endpoint: '', exportIntervalMs: 0 },
      enableRequestLog: false,
      requestLogTemplate: DEFAULT_REQUEST_LOG_TEMPLATE,
      enableProbeRequestLog: false,
    });
  });

  it('is deeply frozen', () => {
    const c = parse({ SERVING_READINESS_PROBE: '{"httpGet":{"httpHeaders":[{"name":"a","value":"b"}]}}' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.observability.requestMetrics)).toBe(true);
    expect(Object.isFrozen(c.readinessProbes)).toBe(true);
    const probe = c.readinessProbes[0]!;
    expect(Object.isFrozen(probe.action)).toBe(true);
    expect(probe.action.kind === 'httpGet' && Object.isFrozen(probe.action.httpHeaders[0])).toBe(true);
    expect(Object.isFrozen(c.tls.ciphers)).toBe(true);
  });
});

describe('parseConfig: required variables must be present', () => {
  it.each([
    'CONTAINER_CONCURRENCY',
    'QUEUE_SERVING_PORT',
    'QUEUE_SERVING_TLS_PORT',
    'USER_PORT',
    'REVISION_TIMEOUT_SECONDS',
    'SERVING_LOGGING_CONFIG',
    'SERVING_LOGGING_LEVEL',
    'SERVING_NAMESPACE',
    'SERVING_CONFIGURATION',
    'SERVING_REVISION',
    'SERVING_POD',
    'SERVING_POD_IP',
  ])('%s missing', (name) => {
    expect(problems(env({ [name]: undefined }))).toEqual([`${name}: required but not set`]);
  });

  it.each(['SERVING_LOGGING_CONFIG', 'SERVING_LOGGING_LEVEL', 'SERVING_NAMESPACE', 'SERVING_CONFIGURATION', 'SERVING_REVISION', 'SERVING_POD', 'SERVING_POD_IP'])(
    '%s may be empty (envconfig accepts an empty string)',
    (name) => {
      expect(() => parse({ [name]: '' })).not.toThrow();
    },
  );

  it.each([
    ['SERVING_SERVICE', (c: Config) => c.servingService, ''],
    ['REVISION_RESPONSE_START_TIMEOUT_SECONDS', (c: Config) => c.responseStartTimeoutMs, 0],
    ['REVISION_IDLE_TIMEOUT_SECONDS', (c: Config) => c.idleTimeoutMs, 0],
    ['SERVING_READINESS_PROBE', (c: Config) => c.readinessProbes, []],
    ['OBSERVABILITY_CONFIG', (c: Config) => c.observability.requestMetrics.protocol, 'none'],
  ] as const)('%s is optional', (name, read, expected) => {
    expect(read(parse({ [name]: undefined }))).toEqual(expected);
  });

  it('reports every problem at once, one line each', () => {
    const found = problems({ CONTAINER_CONCURRENCY: 'x\ny', USER_PORT: 'http', ENABLE_HTTP_FULL_DUPLEX: 'yes' });
    expect(found).toEqual([
      'CONTAINER_CONCURRENCY: invalid integer "x\\ny"',
      'QUEUE_SERVING_PORT: required but not set',
      'QUEUE_SERVING_TLS_PORT: required but not set',
      'USER_PORT: invalid port "http" (expected a decimal integer 1-65535)',
      'REVISION_TIMEOUT_SECONDS: required but not set',
      'ENABLE_HTTP_FULL_DUPLEX: invalid boolean "yes" (expected 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False)',
      'SERVING_LOGGING_CONFIG: required but not set',
      'SERVING_LOGGING_LEVEL: required but not set',
      'SERVING_NAMESPACE: required but not set',
      'SERVING_CONFIGURATION: required but not set',
      'SERVING_REVISION: required but not set',
      'SERVING_POD: required but not set',
      'SERVING_POD_IP: required but not set',
    ]);
    for (const line of found) expect(line).not.toMatch(/[\r\n]/u);
  });

  it('throws a ConfigError with a stable code', () => {
    let caught: unknown;
    try {
      parseConfig({});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toBeInstanceOf(Error);
    const error = caught as ConfigError;
    expect(error.code).toBe('KDP_ERR_CONFIG');
    expect(error.name).toBe('ConfigError');
    expect(Object.isFrozen(error.lines)).toBe(true);
    expect(error.message).toContain('12 problem(s)');
    expect(error.message).toContain('\n  SERVING_POD_IP: required but not set');
  });
});

describe('Go strconv.ParseInt(v, 0, 64), through CONTAINER_CONCURRENCY', () => {
  it.each([
    ['0', 0],
    ['10', 10],
    ['+10', 10],
    ['0x10', 16],
    ['0X1f', 31],
    ['0o17', 15],
    ['0O17', 15],
    ['017', 15],
    ['0b101', 5],
    ['1_000', 1000],
    ['0x_1F', 31],
    ['0_7', 7],
    ['-1', 0], // < 1 means unlimited; normalised to 0
    ['-0x10', 0],
  ])('%j → %d', (raw, expected) => {
    expect(parse({ CONTAINER_CONCURRENCY: raw }).containerConcurrency).toBe(expected);
  });

  it.each([
    ['', 'CONTAINER_CONCURRENCY: set but empty; expected an integer'],
    ['abc', 'CONTAINER_CONCURRENCY: invalid integer "abc"'],
    [' 5', 'CONTAINER_CONCURRENCY: invalid integer " 5"'],
    ['1.5', 'CONTAINER_CONCURRENCY: invalid integer "1.5"'],
    ['08', 'CONTAINER_CONCURRENCY: invalid integer "08" (a leading 0 means octal, as in Go)'],
    ['0x', 'CONTAINER_CONCURRENCY: invalid integer "0x"'],
    ['0b102', 'CONTAINER_CONCURRENCY: invalid integer "0b102"'],
    ['+-1', 'CONTAINER_CONCURRENCY: invalid integer "+-1"'],
    ['1__0', 'CONTAINER_CONCURRENCY: invalid integer "1__0"'],
    ['_1', 'CONTAINER_CONCURRENCY: invalid integer "_1"'],
    ['1_', 'CONTAINER_CONCURRENCY: invalid integer "1_"'],
    ['9223372036854775808', 'CONTAINER_CONCURRENCY: integer "9223372036854775808" out of range for int64'],
    ['9223372036854775807', 'CONTAINER_CONCURRENCY: 9223372036854775807 is beyond what kdp can represent exactly (2^53-1)'],
  ])('%j is rejected', (raw, message) => {
    expect(problems(env({ CONTAINER_CONCURRENCY: raw }))).toEqual([message]);
  });

  it.each([
    ['9223372036854775807', { ok: true, value: 9223372036854775807n }],
    ['-9223372036854775808', { ok: true, value: -9223372036854775808n }],
    ['9223372036854775808', { ok: false, error: 'range' }],
    ['-9223372036854775809', { ok: false, error: 'range' }],
    ['0xFFFFFFFFFFFFFFFFF', { ok: false, error: 'range' }],
    ['0b', { ok: false, error: 'syntax' }],
    ['0o8', { ok: false, error: 'syntax' }],
    ['0', { ok: true, value: 0n }],
    ['-0', { ok: true, value: 0n }],
    ['0x1_0', { ok: true, value: 16n }],
    ['0x1__0', { ok: false, error: 'syntax' }],
    ['١', { ok: false, error: 'syntax' }],
  ])('parseGoInt64(%j)', (raw, expected) => {
    expect(parseGoInt64(raw)).toEqual(expected);
  });
});

describe('Go strconv.ParseBool, through every bool variable', () => {
  it.each([
    ['1', true], ['t', true], ['T', true], ['TRUE', true], ['true', true], ['True', true],
    ['0', false], ['f', false], ['F', false], ['FALSE', false], ['false', false], ['False', false],
    ['yes', undefined], ['tRUE', undefined], ['', undefined], [' true', undefined],
  ])('parseGoBool(%j) = %s', (raw, expected) => {
    expect(parseGoBool(raw)).toBe(expected);
  });

  it.each([
    ['ENABLE_MULTI_CONTAINER_PROBES', (c: Config) => c.enableMultiContainerProbes],
    ['ENABLE_HTTP2_AUTO_DETECTION', (c: Config) => c.enableHttp2AutoDetection],
    ['ENABLE_HTTP_FULL_DUPLEX', (c: Config) => c.enableHttpFullDuplex],
    ['KDP_REQUEST_LOG', (c: Config) => c.requestLog],
  ] as const)('%s: absent is false, T is true, empty and "on" are problems', (name, read) => {
    expect(read(parse({ [name]: undefined }))).toBe(false);
    expect(read(parse({ [name]: 'T' }))).toBe(true);
    expect(problems(env({ [name]: '' }))).toEqual([`${name}: set but empty; expected a boolean`]);
    expect(problems(env({ [name]: 'on' }))).toEqual([
      `${name}: invalid boolean "on" (expected 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False)`,
    ]);
  });
});

describe('ports', () => {
  it.each([
    ['QUEUE_SERVING_PORT', (c: Config) => c.servingPort],
    ['QUEUE_SERVING_TLS_PORT', (c: Config) => c.servingTlsPort],
    ['USER_PORT', (c: Config) => c.userPort],
    ['KDP_ADMIN_PORT', (c: Config) => c.adminPort],
    ['KDP_METRICS_PORT', (c: Config) => c.metricsPort],
  ] as const)('%s accepts 1..65535 in decimal only', (name, read) => {
    expect(read(parse({ [name]: '1' }))).toBe(1);
    expect(read(parse({ [name]: '65535' }))).toBe(65535);
    expect(read(parse({ [name]: '08013' }))).toBe(8013);
    for (const bad of ['0', '65536', '', 'http', '0x1f90', '-1', '8012 ', '123456']) {
      expect(problems(env({ [name]: bad }))).toEqual([`${name}: invalid port ${JSON.stringify(bad)} (expected a decimal integer 1-65535)`]);
    }
  });
});

describe('timeouts', () => {
  it.each([
    [{ REVISION_TIMEOUT_SECONDS: '1' }, (c: Config) => c.revisionTimeoutMs, 1000],
    [{ REVISION_TIMEOUT_SECONDS: '2147483' }, (c: Config) => c.revisionTimeoutMs, 2_147_483_000],
    [{ REVISION_RESPONSE_START_TIMEOUT_SECONDS: '10' }, (c: Config) => c.responseStartTimeoutMs, 10_000],
    [{ REVISION_RESPONSE_START_TIMEOUT_SECONDS: '-5' }, (c: Config) => c.responseStartTimeoutMs, 0],
    [{ REVISION_IDLE_TIMEOUT_SECONDS: '0x3c' }, (c: Config) => c.idleTimeoutMs, 60_000],
    [{ REVISION_IDLE_TIMEOUT_SECONDS: '-1' }, (c: Config) => c.idleTimeoutMs, 0],
    [{ KDP_DRAIN_QUIET_PERIOD_SECONDS: '0' }, (c: Config) => c.drainQuietPeriodMs, 0],
    [{ KDP_DRAIN_QUIET_PERIOD_SECONDS: '5' }, (c: Config) => c.drainQuietPeriodMs, 5000],
  ] as const)('%j', (overrides, read, expected) => {
    expect(read(parse(overrides))).toBe(expected);
  });

  it.each([
    [{ REVISION_TIMEOUT_SECONDS: '0' }, 'REVISION_TIMEOUT_SECONDS: must be greater than 0, got 0'],
    [{ REVISION_TIMEOUT_SECONDS: '-300' }, 'REVISION_TIMEOUT_SECONDS: must be greater than 0, got -300'],
    [{ REVISION_TIMEOUT_SECONDS: '' }, 'REVISION_TIMEOUT_SECONDS: set but empty; expected an integer'],
    [{ REVISION_TIMEOUT_SECONDS: '2147484' }, 'REVISION_TIMEOUT_SECONDS: 2147484 exceeds 2147483 seconds, the longest Node.js timer'],
    [{ REVISION_RESPONSE_START_TIMEOUT_SECONDS: '' }, 'REVISION_RESPONSE_START_TIMEOUT_SECONDS: set but empty; expected an integer'],
    [{ REVISION_IDLE_TIMEOUT_SECONDS: '1m' }, 'REVISION_IDLE_TIMEOUT_SECONDS: invalid integer "1m"'],
    [{ KDP_DRAIN_QUIET_PERIOD_SECONDS: '-1' }, 'KDP_DRAIN_QUIET_PERIOD_SECONDS: must not be negative, got -1'],
    [{ KDP_DRAIN_QUIET_PERIOD_SECONDS: '30s' }, 'KDP_DRAIN_QUIET_PERIOD_SECONDS: invalid integer "30s"'],
  ])('%j is rejected', (overrides, message) => {
    expect(problems(env(overrides))).toEqual([message]);
  });
});

describe('kdp hosts', () => {
  it.each([
    [{}, '', '127.0.0.1'],
    [{ KDP_BIND_HOST: '127.0.0.1' }, '127.0.0.1', '127.0.0.1'],
    [{ KDP_BIND_HOST: '::1' }, '::1', '127.0.0.1'],
    [{ KDP_BIND_HOST: '' }, '', '127.0.0.1'],
    [{ KDP_USER_HOST: '::1' }, '', '::1'],
    [{ KDP_USER_HOST: '10.1.2.3' }, '', '10.1.2.3'],
  ])('%j → bind %j, user %j', (overrides, bindHost, userHost) => {
    expect(parse(overrides)).toMatchObject({ bindHost, userHost });
  });

  it.each([
    [{ KDP_BIND_HOST: 'localhost' }, 'KDP_BIND_HOST: invalid IP address "localhost"'],
    [{ KDP_BIND_HOST: '0.0.0.0:80' }, 'KDP_BIND_HOST: invalid IP address "0.0.0.0:80"'],
    [{ KDP_USER_HOST: '' }, 'KDP_USER_HOST: set but empty; expected an IP address'],
    [{ KDP_USER_HOST: 'user-container' }, 'KDP_USER_HOST: invalid IP address "user-container"'],
  ])('%j is rejected', (overrides, message) => {
    expect(problems(env(overrides))).toEqual([message]);
  });
});

describe('the 9091 Prometheus endpoint', () => {
  const prometheus = (requestMetrics: object): string => JSON.stringify({ requestMetrics: { protocol: 'prometheus', ...requestMetrics } });

  it.each([
    ['off by default, as in Knative', {}, { userMetricsEnabled: false, userMetricsPort: 9091 }],
    ['off for OTLP push', { OBSERVABILITY_CONFIG: '{"requestMetrics":{"protocol":"grpc","endpoint":"http://otel:4317"}}' }, { userMetricsEnabled: false }],
    ['on with protocol prometheus', { OBSERVABILITY_CONFIG: prometheus({}) }, { userMetricsEnabled: true, userMetricsPort: 9091, userMetricsHost: '' }],
    ['on when KDP_USER_METRICS_PORT is set', { KDP_USER_METRICS_PORT: '19091' }, { userMetricsEnabled: true, userMetricsPort: 19091 }],
    ['endpoint port', { OBSERVABILITY_CONFIG: prometheus({ endpoint: ':9095' }) }, { userMetricsPort: 9095, userMetricsHost: '' }],
    ['endpoint host', { OBSERVABILITY_CONFIG: prometheus({ endpoint: '127.0.0.2:9096' }) }, { userMetricsPort: 9096, userMetricsHost: '127.0.0.2' }],
    ['bracketed IPv6 endpoint', { OBSERVABILITY_CONFIG: prometheus({ endpoint: '[::1]:9097' }) }, { userMetricsPort: 9097, userMetricsHost: '::1' }],
    ['METRICS_PROMETHEUS_PORT beats the endpoint', { OBSERVABILITY_CONFIG: prometheus({ endpoint: ':9095' }), METRICS_PROMETHEUS_PORT: '9098' }, { userMetricsPort: 9098 }],
    ['KDP_USER_METRICS_PORT beats both', { OBSERVABILITY_CONFIG: prometheus({ endpoint: ':9095' }), METRICS_PROMETHEUS_PORT: '9098', KDP_USER_METRICS_PORT: '19091' }, { userMetricsPort: 19091 }],
    ['METRICS_PROMETHEUS_HOST', { OBSERVABILITY_CONFIG: prometheus({}), METRICS_PROMETHEUS_HOST: '127.0.0.3' }, { userMetricsHost: '127.0.0.3' }],
    ['bind host by default', { OBSERVABILITY_CONFIG: prometheus({}), KDP_BIND_HOST: '127.0.0.1' }, { userMetricsHost: '127.0.0.1' }],
  ])('%s', (_name, overrides, expected) => {
    expect(parse(overrides)).toMatchObject(expected);
  });

  it.each([
    [{ KDP_USER_METRICS_PORT: '' }, 'KDP_USER_METRICS_PORT: invalid port "" (expected a decimal integer 1-65535)'],
    [{ OBSERVABILITY_CONFIG: prometheus({}), METRICS_PROMETHEUS_PORT: '80' }, 'METRICS_PROMETHEUS_PORT: invalid port "80" (expected 1024-65535)'],
    [
      { OBSERVABILITY_CONFIG: prometheus({ endpoint: 'metrics' }) },
      'OBSERVABILITY_CONFIG: requestMetrics.endpoint: "metrics" should be "host:port", "[host]:port" or ":port" with a port 1024-65535',
    ],
    [
      { OBSERVABILITY_CONFIG: prometheus({ endpoint: ':80' }) },
      'OBSERVABILITY_CONFIG: requestMetrics.endpoint: ":80" should be "host:port", "[host]:port" or ":port" with a port 1024-65535',
    ],
  ])('%j is rejected', (overrides, message) => {
    expect(problems(env(overrides))).toEqual([message]);
  });
});

describe('OBSERVABILITY_CONFIG', () => {
  it.each([
    ['empty', '', (c: Config) => c.observability.requestMetrics.protocol, 'none'],
    ['null', 'null', (c: Config) => c.observability.requestMetrics.protocol, 'none'],
    ['the Knative test fixture', '{"tracing":{},"metrics":{},"runtime":{},"requestMetrics":{}}', (c: Config) => c.observability.runtime.exportIntervalMs, 15_000],
    ['durations in nanoseconds', '{"requestMetrics":{"protocol":"grpc","exportInterval":30000000000}}', (c: Config) => c.observability.requestMetrics.exportIntervalMs, 30_000],
    ['keys match case-insensitively, like Go', '{"RequestMetrics":{"Protocol":"prometheus"}}', (c: Config) => c.observability.requestMetrics.protocol, 'prometheus'],
    ['unknown keys are ignored', '{"surprise":1,"enableRequestLog":true}', (c: Config) => c.observability.enableRequestLog, true],
    ['a null section keeps its defaults', '{"runtime":null}', (c: Config) => c.observability.runtime.profiling, 'disabled'],
    ['tracing', '{"tracing":{"protocol":"stdout","samplingRate":0.5}}', (c: Config) => c.observability.tracing, { protocol: 'stdout', endpoint: '', samplingRate: 0.5 }],
    ['request log', '{"enableRequestLog":true,"requestLogTemplate":"{{.Request.Method}}","enableProbeRequestLog":true}', (c: Config) => [c.observability.requestLogTemplate, c.observability.enableProbeRequestLog], ['{{.Request.Method}}', true]],
    ['profiling is not validated (Knative only compares it)', '{"runtime":{"profiling":"sometimes"}}', (c: Config) => c.observability.runtime.profiling, 'sometimes'],
  ] as const)('%s', (_name, raw, read, expected) => {
    expect(read(parse({ OBSERVABILITY_CONFIG: raw }))).toEqual(expected);
  });

  it.each([
    ['{', /^OBSERVABILITY_CONFIG: invalid JSON: /u],
    ['[]', /^OBSERVABILITY_CONFIG: expected a JSON object, got array$/u],
    ['"x"', /^OBSERVABILITY_CONFIG: expected a JSON object, got string$/u],
    ['{"requestMetrics":{"protocol":"bogus"}}', /^OBSERVABILITY_CONFIG: requestMetrics\.protocol: unsupported protocol "bogus" \(expected none, prometheus, grpc, http\/protobuf\)$/u],
    ['{"requestMetrics":{"protocol":""}}', /^OBSERVABILITY_CONFIG: requestMetrics\.protocol: unsupported protocol ""/u],
    ['{"tracing":{"protocol":"zipkin"}}', /^OBSERVABILITY_CONFIG: tracing\.protocol: unsupported protocol "zipkin" \(expected none, grpc, http\/protobuf, stdout\)$/u],
    ['{"enableRequestLog":"yes"}', /^OBSERVABILITY_CONFIG: enableRequestLog: expected a boolean, got string$/u],
    ['{"runtime":{"exportInterval":1.5}}', /^OBSERVABILITY_CONFIG: runtime\.exportInterval: expected an integer, got 1\.5$/u],
    ['{"runtime":{"exportInterval":"15s"}}', /^OBSERVABILITY_CONFIG: runtime\.exportInterval: expected an integer, got string$/u],
    ['{"tracing":[]}', /^OBSERVABILITY_CONFIG: tracing: expected an object, got array$/u],
    ['{"tracing":{"samplingRate":"1"}}', /^OBSERVABILITY_CONFIG: tracing\.samplingRate: expected a number, got string$/u],
  ])('%s is rejected', (raw, message) => {
    const found = problems(env({ OBSERVABILITY_CONFIG: raw }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });
});

describe('log level (knative.dev/pkg/logging#NewLogger)', () => {
  it.each([
    ['', '', 'info', []],
    ['{"level":"debug"}', '', 'debug', []],
    ['', 'warn', 'warn', []],
    ['{"level":"debug"}', 'error', 'error', []],
    ['', 'DEBUG', 'debug', []],
    ['', 'dpanic', 'error', []],
    ['', 'panic', 'fatal', []],
    ['', 'Debug', 'info', ['SERVING_LOGGING_LEVEL: unknown level "Debug"; ignored']],
    ['{"level":"error"}', 'verbose', 'error', ['SERVING_LOGGING_LEVEL: unknown level "verbose"; ignored']],
    ['{"level":"loud"}', '', 'info', ['SERVING_LOGGING_CONFIG: unknown level "loud"; using info']],
    ['not json', 'warn', 'warn', ['SERVING_LOGGING_CONFIG: not valid JSON; using the default logging configuration']],
  ])('config %j, level %j → %s', (loggingConfig, level, expected, warnings) => {
    const c = parse({ SERVING_LOGGING_CONFIG: loggingConfig, SERVING_LOGGING_LEVEL: level });
    expect(c.logLevel).toBe(expected);
    expect(c.warnings).toEqual(warnings);
  });
});

describe('QUEUE_PROXY_TLS_* (knative.dev/pkg/network/tls#DefaultConfigFromEnv)', () => {
  it.each([
    [{ QUEUE_PROXY_TLS_MIN_VERSION: '1.2' }, { minVersion: 'TLSv1.2' }],
    [{ QUEUE_PROXY_TLS_MIN_VERSION: '' }, { minVersion: 'TLSv1.3' }],
    [{ QUEUE_PROXY_TLS_MAX_VERSION: '1.2' }, { maxVersion: 'TLSv1.2' }],
    [
      { QUEUE_PROXY_TLS_CIPHER_SUITES: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,' },
      { ciphers: ['ECDHE-RSA-AES128-GCM-SHA256', 'TLS_AES_256_GCM_SHA384'] },
    ],
    [{ QUEUE_PROXY_TLS_CURVE_PREFERENCES: 'X25519,CurveP256,P-384' }, { ecdhCurves: ['X25519', 'P-256', 'P-384'] }],
  ])('%j', (overrides, expected) => {
    expect(parse(overrides).tls).toMatchObject(expected);
  });

  it.each([
    [{ QUEUE_PROXY_TLS_MIN_VERSION: '1.1' }, 'QUEUE_PROXY_TLS_MIN_VERSION: unsupported TLS version "1.1" (expected "1.2" or "1.3")'],
    [{ QUEUE_PROXY_TLS_MAX_VERSION: 'TLSv1.3' }, 'QUEUE_PROXY_TLS_MAX_VERSION: unsupported TLS version "TLSv1.3" (expected "1.2" or "1.3")'],
    [{ QUEUE_PROXY_TLS_CIPHER_SUITES: 'TLS_RSA_WITH_RC4_128_SHA' }, 'QUEUE_PROXY_TLS_CIPHER_SUITES: unknown cipher suite "TLS_RSA_WITH_RC4_128_SHA"'],
    [{ QUEUE_PROXY_TLS_CURVE_PREFERENCES: 'secp256k1' }, 'QUEUE_PROXY_TLS_CURVE_PREFERENCES: unknown curve "secp256k1"'],
  ])('%j is rejected', (overrides, message) => {
    expect(problems(env(overrides))).toEqual([message]);
  });
});

describe('SERVING_READINESS_PROBE', () => {
  it('decodes the controller encoding with the user port and host', () => {
    const c = parse({ SERVING_READINESS_PROBE: '{"tcpSocket":{"port":8080,"host":"127.0.0.1"}}' });
    expect(c.readinessProbes).toEqual([
      {
        action: { kind: 'tcpSocket', host: '127.0.0.1', port: 8080, source: 'tcpSocket' },
        periodSeconds: 0,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      },
    ]);
  });

  it('fills empty hosts and ports from KDP_USER_HOST and USER_PORT', () => {
    const c = parse({ SERVING_READINESS_PROBE: '{"tcpSocket":{}}', USER_PORT: '18080', KDP_USER_HOST: '::1' });
    expect(c.readinessProbes[0]?.action).toEqual({ kind: 'tcpSocket', host: '::1', port: 18080, source: 'tcpSocket' });
  });

  it('decodes an array with ENABLE_MULTI_CONTAINER_PROBES', () => {
    const c = parse({ ENABLE_MULTI_CONTAINER_PROBES: 'true', SERVING_READINESS_PROBE: '[{"tcpSocket":{"port":8080}},{"httpGet":{"port":9000}}]' });
    expect(c.readinessProbes.map((p) => p.action.port)).toEqual([8080, 9000]);
  });

  it.each([
    [{ SERVING_READINESS_PROBE: '{"tcpSocket":{"port":"http"}}' }, ['SERVING_READINESS_PROBE: tcpSocket.port: named port "http" cannot be resolved by queue-proxy; use the port number']],
    [{ SERVING_READINESS_PROBE: '[{"tcpSocket":{}}]' }, ['SERVING_READINESS_PROBE: expected a JSON object, got array (an array needs ENABLE_MULTI_CONTAINER_PROBES=true)']],
    [{ SERVING_READINESS_PROBE: '{' }, [expect.stringMatching(/^SERVING_READINESS_PROBE: invalid JSON: /u)]],
    // An invalid flag makes the shape unknowable: only the flag is reported.
    [{ SERVING_READINESS_PROBE: '[{"tcpSocket":{}}]', ENABLE_MULTI_CONTAINER_PROBES: 'yes' }, [expect.stringMatching(/^ENABLE_MULTI_CONTAINER_PROBES: invalid boolean "yes"/u)]],
  ])('%j is rejected', (overrides, expected) => {
    expect(problems(env(overrides))).toEqual(expected);
  });
});

describe('OTel service.name (S:pkg/queue/sharedmain/otel.go#res)', () => {
  it.each([
    [{ OTEL_SERVICE_NAME: 'otel', SERVING_SERVICE: 'svc' }, 'otel'],
    [{ SERVING_SERVICE: 'svc' }, 'svc'],
    [{}, 'hello'],
    [{ SERVING_CONFIGURATION: '' }, 'hello-00001'],
    [{ SERVING_CONFIGURATION: '', SERVING_REVISION: '', POD_NAME: 'pod-env' }, 'pod-env'],
    [{ SERVING_CONFIGURATION: '', SERVING_REVISION: '', HOSTNAME: 'host' }, 'host'],
    [{ SERVING_CONFIGURATION: '', SERVING_REVISION: '' }, 'hello-00001-deployment-7d9f-abcde'],
  ])('%j → %s', (overrides, expected) => {
    expect(parse(overrides).otelServiceName).toBe(expected);
  });
});
