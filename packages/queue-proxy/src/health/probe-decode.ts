// Decodes SERVING_READINESS_PROBE: the JSON of one corev1.Probe, or of an array of them when
// ENABLE_MULTI_CONTAINER_PROBES=true (S:pkg/queue/readiness/probe_encoding.go#DecodeProbes).
//
// The Knative controller rewrites the user's probe before encoding it
// (S:pkg/reconciler/revision/resources/queue.go#applyReadinessProbeDefaults): host 127.0.0.1, the container port,
// scheme HTTP if empty, exec turned into a TCP probe of the user port, timeoutSeconds at least 1 when
// periodSeconds > 0. kdp also runs without that controller (hand-written environments), so the decoder applies the
// same defaults wherever the JSON leaves a value empty, and never overrides a value that is set.
//
// Where Knative's queue-proxy would start and then fail every probe run (no handler, a named port, an unusable
// path or header), the decoder reports a problem instead, so the process fails at start with a clear message.
import { validateHeaderName, validateHeaderValue } from 'node:http';

import {
  INT32_MAX,
  INT32_MIN,
  goField,
  isJsonObject,
  jsonTypeOf,
  readInteger,
  readObject,
  readString,
  type JsonObject,
  type ProblemSink,
} from '../go-json.js';

/**
 * A TCP connect-and-close probe. `source` says what it was decoded from: gRPC probes are executed as TCP probes of
 * their port (kdp has no gRPC health client yet, see gaps), exec probes as TCP probes of the user port, as the
 * Knative controller rewrites them.
 */
export interface TcpProbeAction {
  readonly kind: 'tcpSocket';
  readonly host: string;
  readonly port: number;
  readonly source: 'tcpSocket' | 'grpc' | 'exec';
}

export interface ProbeHttpHeader {
  readonly name: string;
  readonly value: string;
}

export interface HttpProbeAction {
  readonly kind: 'httpGet';
  readonly host: string;
  readonly port: number;
  /** The request target as sent: leading `/`, query kept, fragment dropped, unsafe characters percent-encoded. */
  readonly path: string;
  readonly scheme: 'http' | 'https';
  readonly httpHeaders: readonly ProbeHttpHeader[];
}

export type ProbeAction = TcpProbeAction | HttpProbeAction;

export interface ProbeSpec {
  readonly action: ProbeAction;
  /** 0 selects Knative's aggressive mode (poll every 50 ms for up to 10 s). */
  readonly periodSeconds: number;
  /** At least 1: the Kubernetes API default, and the controller's rewrite when periodSeconds > 0. */
  readonly timeoutSeconds: number;
  /** At least 1: Knative compares `count >= successThreshold`, so 0 behaves as 1. */
  readonly successThreshold: number;
  /** Kubernetes API default 3. Used by kubelet, not by queue-proxy; kept for completeness. */
  readonly failureThreshold: number;
}

export interface ProbeDecodeDefaults {
  /** Host for probes that name none (Knative: 127.0.0.1). */
  readonly userHost: string;
  /** Port for probes that name none or 0, and for exec probes. */
  readonly userPort: number;
}

export type DecodeProbesResult =
  | { readonly ok: true; readonly probes: readonly ProbeSpec[] }
  | { readonly ok: false; readonly problems: readonly string[] };

// Kubernetes API defaults for probe fields (k8s.io/kubernetes/pkg/apis/core/v1/defaults.go#SetDefaults_Probe).
const DEFAULT_TIMEOUT_SECONDS = 1;
const DEFAULT_SUCCESS_THRESHOLD = 1;
const DEFAULT_FAILURE_THRESHOLD = 3;

/**
 * Decodes the probe JSON. An empty string means "no probe": queue-proxy then reports ready without probing
 * (S:pkg/queue/sharedmain/main.go#Main only decodes a non-empty value).
 */
export function decodeProbes(json: string, multiContainer: boolean, defaults: ProbeDecodeDefaults): DecodeProbesResult {
  if (json === '') return { ok: true, probes: [] };
  const problems: string[] = [];
  const sink: ProblemSink = (path, reason) => problems.push(path === '' ? reason : `${path}: ${reason}`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    return { ok: false, problems: [`invalid JSON: ${(error as Error).message}`] };
  }

  const probes: ProbeSpec[] = [];
  if (multiContainer) {
    if (!Array.isArray(parsed)) {
      sink('', `expected a JSON array of probes (ENABLE_MULTI_CONTAINER_PROBES is true), got ${jsonTypeOf(parsed)}`);
    } else {
      parsed.forEach((item: unknown, index) => {
        const probe = decodeProbe(item, `[${String(index)}]`, defaults, sink);
        if (probe !== undefined) probes.push(probe);
      });
    }
  } else if (Array.isArray(parsed)) {
    sink('', 'expected a JSON object, got array (an array needs ENABLE_MULTI_CONTAINER_PROBES=true)');
  } else {
    const probe = decodeProbe(parsed, '', defaults, sink);
    if (probe !== undefined) probes.push(probe);
  }
  return problems.length === 0 ? { ok: true, probes } : { ok: false, problems };
}

function at(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function decodeProbe(value: unknown, path: string, defaults: ProbeDecodeDefaults, sink: ProblemSink): ProbeSpec | undefined {
  if (!isJsonObject(value)) {
    // Knative would decode `null` into a nil probe and crash on the first probe run.
    sink(path, `expected a probe object, got ${jsonTypeOf(value)}`);
    return undefined;
  }
  const counted = countingSink(sink);
  const periodSeconds = readInteger(value, 'periodSeconds', path, counted.sink, INT32_MIN, INT32_MAX) ?? 0;
  const timeoutSeconds = readInteger(value, 'timeoutSeconds', path, counted.sink, INT32_MIN, INT32_MAX) ?? 0;
  const successThreshold = readInteger(value, 'successThreshold', path, counted.sink, INT32_MIN, INT32_MAX) ?? 0;
  const failureThreshold = readInteger(value, 'failureThreshold', path, counted.sink, INT32_MIN, INT32_MAX) ?? 0;
  for (const [name, n] of [
    ['periodSeconds', periodSeconds],
    ['timeoutSeconds', timeoutSeconds],
    ['successThreshold', successThreshold],
    ['failureThreshold', failureThreshold],
  ] as const) {
    if (n < 0) counted.sink(at(path, name), `must not be negative, got ${String(n)}`);
  }

  // Every handler is decoded (Go reports type errors in any field); the first present one in Knative's order wins
  // (S:pkg/queue/readiness/probe.go#probeContainerImpl: httpGet, tcpSocket, grpc, exec).
  const http = readObject(value, 'httpGet', path, counted.sink);
  const tcp = readObject(value, 'tcpSocket', path, counted.sink);
  const grpc = readObject(value, 'grpc', path, counted.sink);
  const exec = readObject(value, 'exec', path, counted.sink);
  const httpAction = http === undefined ? undefined : decodeHttp(http, at(path, 'httpGet'), defaults, counted.sink);
  const tcpAction = tcp === undefined ? undefined : decodeTcp(tcp, at(path, 'tcpSocket'), defaults, counted.sink);
  const grpcAction = grpc === undefined ? undefined : decodeGrpc(grpc, at(path, 'grpc'), defaults, counted.sink);
  const execAction: TcpProbeAction | undefined =
    exec === undefined ? undefined : { kind: 'tcpSocket', host: defaults.userHost, port: defaults.userPort, source: 'exec' };

  const present = (name: string): boolean => goField(value, name) !== undefined && goField(value, name) !== null;
  if (!['httpGet', 'tcpSocket', 'grpc', 'exec'].some(present)) {
    // Knative fails every run with "no probe found"; that pod could never become ready.
    counted.sink(path, 'no handler: expected one of httpGet, tcpSocket, grpc or exec');
  }
  const action = httpAction ?? tcpAction ?? grpcAction ?? execAction;
  if (counted.count() > 0 || action === undefined) return undefined;
  return {
    action,
    periodSeconds,
    timeoutSeconds: Math.max(DEFAULT_TIMEOUT_SECONDS, timeoutSeconds),
    successThreshold: Math.max(DEFAULT_SUCCESS_THRESHOLD, successThreshold),
    failureThreshold: failureThreshold === 0 ? DEFAULT_FAILURE_THRESHOLD : failureThreshold,
  };
}

function countingSink(sink: ProblemSink): { sink: ProblemSink; count: () => number } {
  let n = 0;
  return {
    sink: (path, reason) => {
      n++;
      sink(path, reason);
    },
    count: () => n,
  };
}

/**
 * A k8s IntOrString port. Numbers and numeric strings are used as they are; 0 or absent means the user port, as
 * the controller fills it in. A named port ("http") needs the container spec to resolve, which queue-proxy never
 * has: a problem.
 */
function decodePort(obj: JsonObject, path: string, defaults: ProbeDecodeDefaults, sink: ProblemSink): number | undefined {
  const raw = goField(obj, 'port');
  const where = at(path, 'port');
  let port: number;
  if (raw === undefined || raw === null) {
    port = 0;
  } else if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) {
      sink(where, `expected an integer, got ${String(raw)}`);
      return undefined;
    }
    port = raw;
  } else if (typeof raw === 'string') {
    if (!/^[0-9]+$/.test(raw)) {
      sink(where, `named port ${JSON.stringify(raw)} cannot be resolved by queue-proxy; use the port number`);
      return undefined;
    }
    port = Number(raw);
  } else {
    sink(where, `expected a number or a string, got ${jsonTypeOf(raw)}`);
    return undefined;
  }
  if (port === 0) return defaults.userPort;
  if (port < 1 || port > 65535) {
    sink(where, `port ${String(port)} out of range 1-65535`);
    return undefined;
  }
  return port;
}

function decodeTcp(obj: JsonObject, path: string, defaults: ProbeDecodeDefaults, sink: ProblemSink): TcpProbeAction | undefined {
  const host = readString(obj, 'host', path, sink);
  const port = decodePort(obj, path, defaults, sink);
  if (port === undefined) return undefined;
  return { kind: 'tcpSocket', host: host === undefined || host === '' ? defaults.userHost : host, port, source: 'tcpSocket' };
}

// Knative's gRPC probe always dials 127.0.0.1:<port> (S:pkg/queue/health/probe.go#GRPCProbe), so the host is the
// user host here too. grpc.port is a plain int32, not an IntOrString.
function decodeGrpc(obj: JsonObject, path: string, defaults: ProbeDecodeDefaults, sink: ProblemSink): TcpProbeAction | undefined {
  readString(obj, 'service', path, sink);
  const raw = readInteger(obj, 'port', path, sink, INT32_MIN, INT32_MAX);
  const port = raw === undefined || raw === 0 ? defaults.userPort : raw;
  if (port < 1 || port > 65535) {
    sink(at(path, 'port'), `port ${String(port)} out of range 1-65535`);
    return undefined;
  }
  return { kind: 'tcpSocket', host: defaults.userHost, port, source: 'grpc' };
}

function decodeHttp(obj: JsonObject, path: string, defaults: ProbeDecodeDefaults, sink: ProblemSink): HttpProbeAction | undefined {
  const counted = countingSink(sink);
  const host = readString(obj, 'host', path, counted.sink);
  const port = decodePort(obj, path, defaults, counted.sink);
  const rawScheme = readString(obj, 'scheme', path, counted.sink) ?? '';
  // Go's url.Parse lower-cases the scheme; Kubernetes spells it HTTP/HTTPS.
  const scheme = rawScheme === '' ? 'http' : rawScheme.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    counted.sink(at(path, 'scheme'), `unsupported scheme ${JSON.stringify(rawScheme)} (expected HTTP or HTTPS)`);
  }
  const target = requestTarget(readString(obj, 'path', path, counted.sink) ?? '');
  if (typeof target !== 'string') counted.sink(at(path, 'path'), target.problem);
  const httpHeaders = decodeHeaders(obj, path, counted.sink);
  if (counted.count() > 0 || port === undefined || typeof target !== 'string') return undefined;
  return {
    kind: 'httpGet',
    host: host === undefined || host === '' ? defaults.userHost : host,
    port,
    path: target,
    scheme: scheme === 'https' ? 'https' : 'http',
    httpHeaders,
  };
}

/**
 * Knative builds `<scheme>://<host:port>/` + path without one leading slash, and Go's url package escapes what
 * needs escaping and drops the fragment (S:pkg/queue/health/probe.go#getURL). "health" and "/health" both become
 * "/health"; the query is kept. Characters outside printable ASCII are percent-encoded; control characters and
 * broken %-escapes in the path make Go's url.Parse fail on every run, so they are problems here.
 */
function requestTarget(path: string): string | { readonly problem: string } {
  let target = `/${path.startsWith('/') ? path.slice(1) : path}`;
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is being rejected
  if (/[\u0000-\u001f\u007f]/u.test(target)) return { problem: `control character in ${JSON.stringify(path)}` };
  const query = target.indexOf('?');
  const pathPart = query === -1 ? target : target.slice(0, query);
  if (/%(?![0-9A-Fa-f]{2})/u.test(pathPart)) return { problem: `invalid %-escape in ${JSON.stringify(path)}` };
  try {
    return target.replace(/[^\u0021-\u007e]/gu, (c) => encodeURIComponent(c));
  } catch {
    return { problem: `invalid Unicode in ${JSON.stringify(path)}` };
  }
}

function decodeHeaders(obj: JsonObject, path: string, sink: ProblemSink): ProbeHttpHeader[] {
  const raw = goField(obj, 'httpHeaders');
  const where = at(path, 'httpHeaders');
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    sink(where, `expected an array, got ${jsonTypeOf(raw)}`);
    return [];
  }
  const headers: ProbeHttpHeader[] = [];
  raw.forEach((item: unknown, index) => {
    const itemPath = `${where}[${String(index)}]`;
    if (!isJsonObject(item)) {
      if (item !== null) sink(itemPath, `expected an object, got ${jsonTypeOf(item)}`);
      return;
    }
    const name = readString(item, 'name', itemPath, sink) ?? '';
    const value = readString(item, 'value', itemPath, sink) ?? '';
    // Go's transport refuses such a request ("invalid header field name/value"), failing every run.
    try {
      validateHeaderName(name);
    } catch {
      sink(at(itemPath, 'name'), `invalid header name ${JSON.stringify(name)}`);
      return;
    }
    try {
      validateHeaderValue(name, value);
    } catch {
      sink(at(itemPath, 'value'), `invalid header value ${JSON.stringify(value)}`);
      return;
    }
    headers.push({ name, value });
  });
  return headers;
}
