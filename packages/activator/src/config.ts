/**
 * The standalone activator's configuration, read from the environment once (docs/style.md rule 3), every problem reported
 * together, the result frozen. Knative's activator reads POD_NAME/POD_IP, MAX_IDLE_PROXY_CONNS(_PER_HOST) and
 * PROBE_TIMEOUT/PROBE_FREQUENCY (cmd/activator/main.go) and everything else from Kubernetes; kdp's standalone server
 * takes its revision table from a JSON variable or file instead (revision-table.ts).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { EnvReader, isLogLevel } from '@kdp/core';
import type { LogLevel } from '@kdp/core';
import { resolveKubeConnection } from '@kdp/kube';
import type { KubeConnection } from '@kdp/kube';
import { parseRevisionTable } from './revision-table.js';
import type { RevisionTableEntry } from './revision-table.js';

/**
 * The cluster mode (no revision table given): revisions and endpoints come from the Kubernetes API and stats go to
 * Knative's autoscaler, with the environment Knative's `activator` Deployment sets (config/core/deployments/activator.yaml).
 */
export interface KubernetesConfig {
  /** POD_IP (required, as Knative's envconfig `required:"true"`): finds this activator in public endpoints (subsetting). */
  readonly podIp: string;
  /** SYSTEM_NAMESPACE (required; knative/pkg `system.Namespace()` panics without it): where the autoscaler and config maps are. */
  readonly systemNamespace: string;
  /** KDP_AUTOSCALER_URL, else Knative's `ws://autoscaler.<SYSTEM_NAMESPACE>.svc.<cluster domain>:8080`. */
  readonly autoscalerUrl: string;
  /** KUBECONFIG, else in-cluster (KUBERNETES_SERVICE_HOST/PORT and the service-account token and CA). */
  readonly connection: KubeConnection;
  /** CONFIG_LOGGING_NAME: the logging config map (`loglevel.activator`); Knative's Deployment sets config-logging. */
  readonly loggingConfigMap: string;
}

export interface Config {
  /** KDP_ACTIVATOR_PORT: Knative's activator serves HTTP/1 on 8012 (`networking.BackendHTTPPort`). */
  readonly port: number;
  /**
   * KDP_ACTIVATOR_H2C_PORT: Knative's second listener for h2c, 8013 (`networking.BackendHTTP2Port`); the Service
   * maps port 81 to it. Cluster mode only (the table mode keeps its single listener); both ports serve both protocols.
   */
  readonly h2cPort: number;
  /** KDP_ACTIVATOR_METRICS_PORT: Prometheus `/metrics`; Knative's activator exports metrics on 9090. */
  readonly metricsPort: number;
  /** KDP_ACTIVATOR_BIND_HOST: all interfaces, as Go's `:8012`. */
  readonly bindHost: string;
  /** CLUSTER_DOMAIN, else the `search svc.<domain>` entry of /etc/resolv.conf, else `cluster.local` (knative/pkg network/domain.go). */
  readonly clusterDomain: string;
  /** KDP_ACTIVATOR_REVISIONS (JSON) or KDP_ACTIVATOR_REVISIONS_FILE (path to JSON); empty in cluster mode. */
  readonly revisions: readonly RevisionTableEntry[];
  /** Set when neither table variable is: the Kubernetes mode. */
  readonly kubernetes: KubernetesConfig | null;
  /** KDP_ACTIVATOR_MAX_BUFFERED: requests waiting per revision; Knative `breakerQueueDepth` 10000. */
  readonly maxBuffered: number;
  /** KDP_ACTIVATOR_PROBE_INTERVAL_MS: 50 (kdp; Knative PROBE_FREQUENCY 200 ms). */
  readonly probeIntervalMs: number;
  /** KDP_ACTIVATOR_PROBE_TIMEOUT_MS: Knative PROBE_TIMEOUT 300 ms. */
  readonly probeTimeoutMs: number;
  /** KDP_ACTIVATOR_PROBE_GIVE_UP_MS: stop probing a pod not ready after 60 s. */
  readonly probeGiveUpMs: number;
  /** KDP_ACTIVATOR_DRAIN_MS: keep serving after SIGTERM while probes fail; knative/pkg `DefaultDrainTimeout` 45 s. */
  readonly drainMs: number;
  /** KDP_ACTIVATOR_SHUTDOWN_GRACE_MS: then wait this long for in-flight requests; the 600 s maximum revision timeout. */
  readonly shutdownGraceMs: number;
  /** KDP_ACTIVATOR_LOG_LEVEL: info. */
  readonly logLevel: LogLevel;
  /** POD_NAME: a log binding; the host name when unset (Knative requires it). */
  readonly podName: string;
}

export interface ConfigSources {
  readonly readFile?: (path: string) => string;
}

export function parseConfig(env: NodeJS.ProcessEnv, sources: ConfigSources = {}): Config {
  const readFile = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const r = new EnvReader(env);
  const port = r.int('KDP_ACTIVATOR_PORT', { default: 8012, min: 0, max: 65535 });
  const h2cPort = r.int('KDP_ACTIVATOR_H2C_PORT', { default: 8013, min: 0, max: 65535 });
  const metricsPort = r.int('KDP_ACTIVATOR_METRICS_PORT', { default: 9090, min: 0, max: 65535 });
  const bindHost = r.string('KDP_ACTIVATOR_BIND_HOST', { default: '0.0.0.0' });
  const maxBuffered = r.int('KDP_ACTIVATOR_MAX_BUFFERED', { default: 10_000, min: 1, max: 2_147_483_647 });
  const probeIntervalMs = r.int('KDP_ACTIVATOR_PROBE_INTERVAL_MS', { default: 50, min: 1 });
  const probeTimeoutMs = r.int('KDP_ACTIVATOR_PROBE_TIMEOUT_MS', { default: 300, min: 1 });
  const probeGiveUpMs = r.int('KDP_ACTIVATOR_PROBE_GIVE_UP_MS', { default: 60_000, min: 1 });
  const drainMs = r.int('KDP_ACTIVATOR_DRAIN_MS', { default: 45_000, min: 0 });
  const shutdownGraceMs = r.int('KDP_ACTIVATOR_SHUTDOWN_GRACE_MS', { default: 600_000, min: 0 });
  const level = r.string('KDP_ACTIVATOR_LOG_LEVEL', { default: 'info' });
  if (!isLogLevel(level)) r.problem('KDP_ACTIVATOR_LOG_LEVEL', `unknown level ${JSON.stringify(level)}`);
  const podName = r.string('POD_NAME', { default: hostname() });

  let clusterDomain = r.string('CLUSTER_DOMAIN');
  if (clusterDomain === '') {
    let resolv = '';
    try {
      resolv = readFile('/etc/resolv.conf');
    } catch {
      // No resolv.conf: the default domain, as knative/pkg does.
    }
    clusterDomain = clusterDomainFromResolvConf(resolv) ?? 'cluster.local';
  }

  let revisions: RevisionTableEntry[] = [];
  const inline = env.KDP_ACTIVATOR_REVISIONS;
  const file = env.KDP_ACTIVATOR_REVISIONS_FILE;
  if (inline !== undefined && file !== undefined) {
    r.problem('KDP_ACTIVATOR_REVISIONS_FILE', 'set together with KDP_ACTIVATOR_REVISIONS; set one');
  } else if (inline !== undefined) {
    revisions = r.json('KDP_ACTIVATOR_REVISIONS', parseRevisionTable) ?? [];
  } else if (file !== undefined && file !== '') {
    let text: string | undefined;
    try {
      text = readFile(file);
    } catch (e) {
      r.problem('KDP_ACTIVATOR_REVISIONS_FILE', `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (text !== undefined) {
      // The file's text goes through the same JSON reader, so its problems read like the inline variable's.
      const fileReader = new EnvReader({ KDP_ACTIVATOR_REVISIONS_FILE: text });
      revisions = fileReader.json('KDP_ACTIVATOR_REVISIONS_FILE', parseRevisionTable) ?? [];
      for (const p of fileReader.problems) r.problem('KDP_ACTIVATOR_REVISIONS_FILE', `${file}: ${p.slice(p.indexOf(': ') + 2)}`);
    }
  }
  let kubernetes: KubernetesConfig | null = null;
  if (inline === undefined && (file === undefined || file === '')) {
    kubernetes = parseKubernetesConfig(r, env, readFile, clusterDomain);
  }
  r.throwIfProblems();
  return Object.freeze({
    port,
    metricsPort,
    bindHost,
    clusterDomain,
    revisions: Object.freeze(revisions),
    kubernetes: kubernetes === null ? null : Object.freeze(kubernetes),
    h2cPort,
    maxBuffered,
    probeIntervalMs,
    probeTimeoutMs,
    probeGiveUpMs,
    drainMs,
    shutdownGraceMs,
    logLevel: isLogLevel(level) ? level : 'info',
    podName,
  });
}

function parseKubernetesConfig(r: EnvReader, env: NodeJS.ProcessEnv, readFile: (p: string) => string, clusterDomain: string): KubernetesConfig | null {
  // Knative: envconfig `required:"true"` for POD_NAME and POD_IP; an empty value would be accepted there, but neither
  // can work here (a log binding and the subsetting address), so empty counts as missing.
  const why = 'required in cluster mode (Knative sets it from the downward API); or set KDP_ACTIVATOR_REVISIONS for the table mode';
  if ((env.POD_NAME ?? '') === '') r.problem('POD_NAME', why);
  const podIp = env.POD_IP ?? '';
  if (podIp === '') r.problem('POD_IP', why);
  else if (isIP(podIp) === 0) r.problem('POD_IP', `not an IP address: ${JSON.stringify(podIp)}`);
  const systemNamespace = env.SYSTEM_NAMESPACE ?? '';
  if (systemNamespace === '') r.problem('SYSTEM_NAMESPACE', why);
  const loggingConfigMap = r.string('CONFIG_LOGGING_NAME', { default: 'config-logging' });
  let autoscalerUrl = env.KDP_AUTOSCALER_URL ?? '';
  if (autoscalerUrl === '') {
    // cmd/activator/main.go: "ws://" + GetServiceHostname("autoscaler", system.Namespace()) + ":8080".
    autoscalerUrl = `ws://autoscaler.${systemNamespace}.svc.${clusterDomain}:8080`;
  } else {
    let ok = false;
    try {
      const u = new URL(autoscalerUrl);
      ok = (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) r.problem('KDP_AUTOSCALER_URL', `want a ws:// or wss:// URL, got ${JSON.stringify(autoscalerUrl)}`);
  }
  const resolved = resolveKubeConnection(env, readFile);
  for (const p of resolved.problems) {
    const colon = p.indexOf(': ');
    r.problem(p.slice(0, colon), p.slice(colon + 2));
  }
  if (resolved.connection === null) return null;
  return { podIp, systemNamespace, autoscalerUrl, connection: resolved.connection, loggingConfigMap };
}

/** knative/pkg `getClusterDomainName`: the first `search` entry starting with `svc.`, minus that and a final dot. */
export function clusterDomainFromResolvConf(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const elements = line.split(' ');
    if (elements[0] !== 'search') continue;
    for (const e of elements.slice(1)) {
      if (e.startsWith('svc.')) return e.slice(4).replace(/\.$/, '');
    }
  }
  return undefined;
}
