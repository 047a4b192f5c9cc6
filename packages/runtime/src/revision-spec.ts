import { RuntimeConfigError } from './errors.js';

/*
 * An immutable snapshot of a Knative Revision, in Knative's own shape (serving.knative.dev/v1 RevisionSpec, one
 * container), plus the environment the Knative revision reconciler gives each container of a pod.
 * Field names follow the Kubernetes/Knative JSON so a Revision read from YAML maps over one to one.
 */

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

export interface HTTPHeader {
  readonly name: string;
  readonly value: string;
}

/** Kubernetes `intstr`: a number, a numeric string, or a port name (names resolve to the user port). */
export type IntOrString = number | string;

export interface HTTPGetAction {
  readonly path?: string;
  readonly port?: IntOrString;
  readonly host?: string;
  readonly scheme?: 'HTTP' | 'HTTPS';
  readonly httpHeaders?: readonly HTTPHeader[];
}

export interface TCPSocketAction {
  readonly port?: IntOrString;
  readonly host?: string;
}

export interface ExecAction {
  readonly command?: readonly string[];
}

export interface GRPCAction {
  readonly port?: number;
  readonly service?: string;
}

export interface Probe {
  readonly exec?: ExecAction;
  readonly httpGet?: HTTPGetAction;
  readonly tcpSocket?: TCPSocketAction;
  readonly grpc?: GRPCAction;
  readonly initialDelaySeconds?: number;
  readonly timeoutSeconds?: number;
  readonly periodSeconds?: number;
  readonly successThreshold?: number;
  readonly failureThreshold?: number;
  readonly terminationGracePeriodSeconds?: number;
}

export interface ContainerPort {
  readonly containerPort: number;
  /** `h2c` marks an HTTP/2 cleartext app (Knative `rev.GetProtocol()`). */
  readonly name?: string;
}

export interface Container {
  /** Knative's default container name. */
  readonly name: string;
  /** The program and its leading arguments; locally there is no image entrypoint, so it must not be empty. */
  readonly command: readonly [string, ...string[]];
  readonly args: readonly string[];
  readonly env: readonly EnvVar[];
  /** Only `ports[0]` matters (Knative allows one); locally it is remapped to a free loopback port. */
  readonly ports: readonly ContainerPort[];
  readonly readinessProbe?: Probe;
  /** Working directory of the user process; the supervisor's `cwd` when absent. */
  readonly workingDir?: string;
}

export interface Revision {
  readonly namespace: string;
  readonly name: string;
  /** `serving.knative.dev/service` label; empty for a Revision without a Service. */
  readonly service: string;
  /** `serving.knative.dev/configuration` label / controller owner. */
  readonly configuration: string;
  readonly container: Container;
  readonly containerConcurrency: number;
  readonly timeoutSeconds: number;
  readonly responseStartTimeoutSeconds?: number;
  readonly idleTimeoutSeconds?: number;
  /** Autoscaling and feature annotations, passed through untouched. */
  readonly annotations: Readonly<Record<string, string>>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface ContainerInput {
  readonly name?: string;
  readonly command: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly ports?: readonly ContainerPort[];
  readonly readinessProbe?: Probe;
  readonly workingDir?: string;
}

export interface RevisionInput {
  readonly namespace?: string;
  readonly name: string;
  readonly service?: string;
  readonly configuration?: string;
  readonly container: ContainerInput;
  readonly containerConcurrency?: number;
  readonly timeoutSeconds?: number;
  readonly responseStartTimeoutSeconds?: number;
  readonly idleTimeoutSeconds?: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Knative `v1.DefaultUserPort`. */
export const DEFAULT_USER_PORT = 8080;
/** `revision-timeout-seconds` default of config-defaults (serving pkg/apis/config/defaults.go). */
export const DEFAULT_TIMEOUT_SECONDS = 300;
/** `max-revision-timeout-seconds` default of config-defaults. */
export const MAX_TIMEOUT_SECONDS = 600;
/** `container-concurrency-max-limit` default of config-defaults. */
export const MAX_CONTAINER_CONCURRENCY = 1000;
/** serving pkg/apis/serving/k8s_validation.go `reservedEnvVars`: set by Knative, not by the user. */
export const RESERVED_ENV_VARS: readonly string[] = Object.freeze(['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION']);
/** serving k8s_validation.go `reservedPorts`: the queue-proxy's ports in a real pod. */
export const RESERVED_PORTS: readonly number[] = Object.freeze([8012, 8013, 8022, 8008, 9090, 9091]);
/** Knative's default user container name (serving pkg/apis/config/defaults.go `user-container`). */
export const DEFAULT_CONTAINER_NAME = 'user-container';
/** Annotation enabling full duplex HTTP/1 in the queue-proxy (serving pkg/apis/config/features.go). */
export const FULL_DUPLEX_ANNOTATION = 'features.knative.dev/http-full-duplex';

// RFC 1123 label, the rule Kubernetes applies to namespaces; revision names are DNS-1035 labels, a subset of it.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Validates `input`, applies Knative's defaults and returns a deeply frozen Revision. Every problem is reported at
 * once in a `RuntimeConfigError` (code `KDP_ERR_CONFIG`).
 */
export function makeRevision(input: RevisionInput): Revision {
  const problems: string[] = [];
  const namespace = input.namespace ?? 'default';
  if (!DNS_LABEL.test(namespace)) problems.push(`namespace: ${JSON.stringify(namespace)} is not a DNS-1123 label`);
  if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(input.name)) {
    problems.push(`name: ${JSON.stringify(input.name)} is not a DNS-1035 label`);
  }
  const c = input.container;
  if (c.command.length === 0 || c.command[0] === '') {
    problems.push('container.command: must name a program (there is no image entrypoint locally)');
  }
  const names = new Set<string>();
  for (const [i, e] of (c.env ?? []).entries()) {
    if (!ENV_NAME.test(e.name)) problems.push(`container.env[${i}].name: ${JSON.stringify(e.name)} is not a valid name`);
    if (RESERVED_ENV_VARS.includes(e.name)) {
      problems.push(`container.env[${i}].name: ${e.name} is reserved (Knative sets it)`);
    }
    if (names.has(e.name)) problems.push(`container.env[${i}].name: ${e.name} is defined twice`);
    names.add(e.name);
  }
  const ports = c.ports ?? [];
  if (ports.length > 1) problems.push('container.ports: at most one port is allowed');
  for (const [i, p] of ports.entries()) {
    if (!isPort(p.containerPort)) problems.push(`container.ports[${i}].containerPort: must be an integer in 1..65535`);
    else if (RESERVED_PORTS.includes(p.containerPort)) {
      problems.push(`container.ports[${i}].containerPort: ${p.containerPort} is reserved for the queue-proxy`);
    }
  }
  if (c.readinessProbe !== undefined) validateProbe(c.readinessProbe, problems);
  const cc = input.containerConcurrency ?? 0;
  if (!isIntIn(cc, 0, MAX_CONTAINER_CONCURRENCY)) {
    problems.push(`containerConcurrency: must be an integer in 0..${MAX_CONTAINER_CONCURRENCY}`);
  }
  // Knative defaulting turns an absent or zero timeout into the default (revision_defaults.go SetDefaults).
  const timeoutSeconds = input.timeoutSeconds === undefined || input.timeoutSeconds === 0
    ? DEFAULT_TIMEOUT_SECONDS
    : input.timeoutSeconds;
  if (!isIntIn(timeoutSeconds, 1, MAX_TIMEOUT_SECONDS)) {
    problems.push(`timeoutSeconds: must be an integer in 0..${MAX_TIMEOUT_SECONDS}`);
  }
  for (const field of ['responseStartTimeoutSeconds', 'idleTimeoutSeconds'] as const) {
    const v = input[field];
    if (v !== undefined && !isIntIn(v, 0, timeoutSeconds)) {
      problems.push(`${field}: must be an integer in 0..timeoutSeconds (${timeoutSeconds})`);
    }
  }
  for (const [k, v] of Object.entries(input.annotations ?? {})) {
    if (typeof v !== 'string') problems.push(`annotations[${JSON.stringify(k)}]: must be a string`);
  }
  if (problems.length > 0) throw new RuntimeConfigError(problems, `revision ${namespace}/${input.name}`);

  const [program = '', ...leading] = c.command;
  const container: Mutable<Container> = {
    name: c.name ?? DEFAULT_CONTAINER_NAME,
    command: [program, ...leading],
    args: [...(c.args ?? [])],
    env: (c.env ?? []).map((e) => ({ name: e.name, value: e.value })),
    ports: ports.map((p) => (p.name === undefined ? { containerPort: p.containerPort } : { ...p })),
  };
  if (c.readinessProbe !== undefined) container.readinessProbe = structuredClone(c.readinessProbe);
  if (c.workingDir !== undefined) container.workingDir = c.workingDir;
  const rev: Mutable<Revision> = {
    namespace,
    name: input.name,
    service: input.service ?? '',
    configuration: input.configuration ?? '',
    container,
    containerConcurrency: cc,
    timeoutSeconds,
    annotations: { ...input.annotations },
  };
  if (input.responseStartTimeoutSeconds !== undefined) {
    rev.responseStartTimeoutSeconds = input.responseStartTimeoutSeconds;
  }
  if (input.idleTimeoutSeconds !== undefined) rev.idleTimeoutSeconds = input.idleTimeoutSeconds;
  return deepFreeze(rev);
}

/** `namespace/name`: the key the activator, autoscaler and runtime share for a revision. */
export function revisionKey(rev: Pick<Revision, 'namespace' | 'name'>): string {
  return `${rev.namespace}/${rev.name}`;
}

/** The port the app is declared to listen on (serving resources/deploy.go `getUserPort`). */
export function declaredUserPort(rev: Revision): number {
  const p = rev.container.ports[0]?.containerPort;
  return p === undefined || p === 0 ? DEFAULT_USER_PORT : p;
}

/** Loopback ports of one local pod; in a real pod these are the fixed 8080/8012/8112/8022/9090/9091. */
export interface PodPorts {
  readonly user: number;
  readonly queue: number;
  readonly queueTls: number;
  readonly admin: number;
  readonly metrics: number;
  readonly userMetrics: number;
}

export interface QueueProxyEnvOptions {
  /** `SERVING_POD_IP` and `HOST_IP`; pods are loopback processes. */
  readonly podIP?: string;
  /** `KDP_BIND_HOST`: where the queue-proxy listens. */
  readonly bindHost?: string;
  /** `KDP_DRAIN_QUIET_PERIOD_SECONDS`; omitted when undefined so the queue-proxy keeps Knative's 30 s. */
  readonly drainQuietPeriodSeconds?: number;
  /** config-logging `zap-logger-config`; empty means the queue-proxy's default. */
  readonly loggingConfig?: string;
  /** config-logging `loglevel.queueproxy`. */
  readonly loggingLevel?: string;
  /** JSON of config-observability; empty means the defaults (no metrics export, no tracing, no request log). */
  readonly observabilityConfig?: string;
  /** config-features `autodetect-http2`. */
  readonly autodetectHTTP2?: boolean;
  /** `SYSTEM_NAMESPACE`, Knative's own namespace. */
  readonly systemNamespace?: string;
}

/**
 * The queue-proxy's environment, variable for variable as serving pkg/reconciler/revision/resources/queue.go
 * `makeQueueContainer` builds it, with loopback ports in place of the fixed ones, plus the kdp extensions
 * (`KDP_*`) that tell the queue-proxy which ports to use where Knative hard-codes them.
 */
export function queueProxyEnv(
  rev: Revision,
  ports: PodPorts,
  podName: string,
  options: QueueProxyEnvOptions = {},
): Readonly<Record<string, string>> {
  const podIP = options.podIP ?? '127.0.0.1';
  const fullDuplex = rev.annotations[FULL_DUPLEX_ANNOTATION];
  const env: Record<string, string> = {
    SERVING_NAMESPACE: rev.namespace,
    SERVING_SERVICE: rev.service,
    SERVING_CONFIGURATION: rev.configuration,
    SERVING_REVISION: rev.name,
    QUEUE_SERVING_PORT: String(ports.queue),
    QUEUE_SERVING_TLS_PORT: String(ports.queueTls),
    CONTAINER_CONCURRENCY: String(rev.containerConcurrency),
    REVISION_TIMEOUT_SECONDS: String(rev.timeoutSeconds),
    REVISION_RESPONSE_START_TIMEOUT_SECONDS: String(rev.responseStartTimeoutSeconds ?? 0),
    REVISION_IDLE_TIMEOUT_SECONDS: String(rev.idleTimeoutSeconds ?? 0),
    SERVING_POD: podName,
    SERVING_POD_IP: podIP,
    SERVING_LOGGING_CONFIG: options.loggingConfig ?? '',
    SERVING_LOGGING_LEVEL: options.loggingLevel ?? '',
    USER_PORT: String(ports.user),
    SYSTEM_NAMESPACE: options.systemNamespace ?? 'knative-serving',
    SERVING_READINESS_PROBE: readinessProbeJSON(rev, ports.user),
    HOST_IP: podIP,
    ENABLE_HTTP2_AUTO_DETECTION: String(options.autodetectHTTP2 ?? false),
    ENABLE_HTTP_FULL_DUPLEX: String(fullDuplex !== undefined && fullDuplex.toLowerCase() === 'enabled'),
    ROOT_CA: '',
    QUEUE_PROXY_TLS_MIN_VERSION: '',
    QUEUE_PROXY_TLS_MAX_VERSION: '',
    QUEUE_PROXY_TLS_CIPHER_SUITES: '',
    QUEUE_PROXY_TLS_CURVE_PREFERENCES: '',
    // Sidecar containers do not exist locally, so multi-container probing has nothing to add.
    ENABLE_MULTI_CONTAINER_PROBES: 'false',
    OBSERVABILITY_CONFIG: options.observabilityConfig ?? '',
    KDP_ADMIN_PORT: String(ports.admin),
    KDP_METRICS_PORT: String(ports.metrics),
    KDP_USER_METRICS_PORT: String(ports.userMetrics),
    KDP_BIND_HOST: options.bindHost ?? '127.0.0.1',
  };
  if (options.drainQuietPeriodSeconds !== undefined) {
    env['KDP_DRAIN_QUIET_PERIOD_SECONDS'] = String(options.drainQuietPeriodSeconds);
  }
  return Object.freeze(env);
}

/**
 * The user container's environment: its own `env`, then `PORT` (resources/deploy.go `makeServingContainer`) and
 * `K_REVISION`, `K_CONFIGURATION`, `K_SERVICE` (resources/env_var.go `getKnativeEnvVar`). Validation keeps the user
 * from setting those four, so the order only matters for readability.
 */
export function userEnv(rev: Revision, port: number): Readonly<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const e of rev.container.env) env[e.name] = e.value;
  env['PORT'] = String(port);
  env['K_REVISION'] = rev.name;
  env['K_CONFIGURATION'] = rev.configuration;
  env['K_SERVICE'] = rev.service;
  return Object.freeze(env);
}

/**
 * `SERVING_READINESS_PROBE`: the user's readiness probe rewritten as queue.go `applyReadinessProbeDefaults` does
 * (host 127.0.0.1, the probe port, scheme HTTP, exec → TCP, timeout ≥ 1 s when periodic), encoded with Go's field
 * order and omitempty rules. Without a probe the webhook default `tcpSocket: {}` applies, which encodes as
 * `{"tcpSocket":{"port":<userPort>,"host":"127.0.0.1"}}`.
 *
 * Locally the declared container port is remapped to `userPort`; a probe naming the declared port, a port name or
 * no port is pointed at `userPort`, while an explicit different port is kept (the app listens on it literally).
 */
export function readinessProbeJSON(rev: Revision, userPort: number): string {
  const p: Probe = rev.container.readinessProbe ?? { tcpSocket: {} };
  const declared = declaredUserPort(rev);
  const explicit = intValue(p.httpGet?.port) || intValue(p.tcpSocket?.port) || (p.grpc?.port ?? 0);
  const port = explicit !== 0 && explicit !== declared ? explicit : userPort;
  const host = '127.0.0.1';
  // Insertion order below is Go's struct field order for corev1.Probe and its handlers.
  const out: Record<string, unknown> = {};
  if (p.httpGet !== undefined) {
    const h: Record<string, unknown> = {};
    if (p.httpGet.path !== undefined && p.httpGet.path !== '') h['path'] = p.httpGet.path;
    h['port'] = port;
    h['host'] = host;
    h['scheme'] = p.httpGet.scheme ?? 'HTTP';
    if (p.httpGet.httpHeaders !== undefined && p.httpGet.httpHeaders.length > 0) {
      h['httpHeaders'] = p.httpGet.httpHeaders.map((x) => ({ name: x.name, value: x.value }));
    }
    out['httpGet'] = h;
  } else if (p.tcpSocket !== undefined || p.exec !== undefined) {
    // An exec probe stays with the user container in Knative (kubelet runs it); the queue-proxy gets a TCP probe.
    out['tcpSocket'] = { port, host };
  } else if (p.grpc !== undefined) {
    // The webhook defaults a nil service to "" (revision_defaults.go applyGRPCProbeDefaults).
    out['grpc'] = { port, service: p.grpc.service ?? '' };
  }
  const timeoutSeconds = (p.periodSeconds ?? 0) > 0 && (p.timeoutSeconds ?? 0) < 1 ? 1 : p.timeoutSeconds;
  putNonZero(out, 'initialDelaySeconds', p.initialDelaySeconds);
  putNonZero(out, 'timeoutSeconds', timeoutSeconds);
  putNonZero(out, 'periodSeconds', p.periodSeconds);
  putNonZero(out, 'successThreshold', p.successThreshold);
  putNonZero(out, 'failureThreshold', p.failureThreshold);
  putNonZero(out, 'terminationGracePeriodSeconds', p.terminationGracePeriodSeconds);
  return JSON.stringify(out);
}

function putNonZero(out: Record<string, unknown>, key: string, v: number | undefined): void {
  if (v !== undefined && v !== 0) out[key] = v;
}

/** intstr `IntValue()`: a numeric string parses, a name is 0. */
function intValue(v: IntOrString | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  return /^\d+$/.test(v) ? Number(v) : 0;
}

function validateProbe(p: Probe, problems: string[]): void {
  const handlers = [p.httpGet, p.tcpSocket, p.exec, p.grpc].filter((h) => h !== undefined).length;
  if (handlers > 1) problems.push('container.readinessProbe: at most one handler may be set');
  for (const field of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    const v = p[field];
    if (v !== undefined && !isIntIn(v, 0, 2 ** 31 - 1)) {
      problems.push(`container.readinessProbe.${field}: must be a non-negative integer`);
    }
  }
  for (const [where, port] of [
    ['httpGet.port', p.httpGet?.port],
    ['tcpSocket.port', p.tcpSocket?.port],
    ['grpc.port', p.grpc?.port],
  ] as const) {
    if (typeof port === 'number' && port !== 0 && !isPort(port)) {
      problems.push(`container.readinessProbe.${where}: must be an integer in 1..65535`);
    }
  }
}

function isPort(v: number): boolean {
  return isIntIn(v, 1, 65535);
}

function isIntIn(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
