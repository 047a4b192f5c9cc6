/**
 * The standalone activator's configuration, read from the environment once (house rule 3), every problem reported
 * together, the result frozen. Knative's activator reads POD_NAME/POD_IP, MAX_IDLE_PROXY_CONNS(_PER_HOST) and
 * PROBE_TIMEOUT/PROBE_FREQUENCY (cmd/activator/main.go) and everything else from Kubernetes; kdp's standalone server
 * takes its revision table from a JSON variable or file instead (revision-table.ts).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { EnvReader, isLogLevel } from '@kdp/core';
import type { LogLevel } from '@kdp/core';
import { parseRevisionTable } from './revision-table.js';
import type { RevisionTableEntry } from './revision-table.js';

export interface Config {
  /** KDP_ACTIVATOR_PORT: Knative's activator serves HTTP/1 on 8012 (`networking.BackendHTTPPort`). */
  readonly port: number;
  /** KDP_ACTIVATOR_METRICS_PORT: Prometheus `/metrics`; Knative's activator exports metrics on 9090. */
  readonly metricsPort: number;
  /** KDP_ACTIVATOR_BIND_HOST: all interfaces, as Go's `:8012`. */
  readonly bindHost: string;
  /** CLUSTER_DOMAIN, else the `search svc.<domain>` entry of /etc/resolv.conf, else `cluster.local` (knative/pkg network/domain.go). */
  readonly clusterDomain: string;
  /** KDP_ACTIVATOR_REVISIONS (JSON) or KDP_ACTIVATOR_REVISIONS_FILE (path to JSON); exactly one. */
  readonly revisions: readonly RevisionTableEntry[];
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
  } else {
    r.problem('KDP_ACTIVATOR_REVISIONS', 'required: set KDP_ACTIVATOR_REVISIONS (JSON) or KDP_ACTIVATOR_REVISIONS_FILE');
  }
  r.throwIfProblems();
  return Object.freeze({
    port,
    metricsPort,
    bindHost,
    clusterDomain,
    revisions: Object.freeze(revisions),
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
