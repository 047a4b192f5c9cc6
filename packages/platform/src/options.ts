/**
 * `startControlPlane` options: checked once, every problem reported together (`ConfigError`), defaults applied, the
 * result frozen. Nothing here starts anything.
 */
import { fileURLToPath } from 'node:url';
import { ConfigError, createLogger, systemClock } from '@kdp/core';
import type { Clock, Logger } from '@kdp/core';
import { QUEUE_PROXY_NODE_FLAGS } from '@kdp/queue-proxy';
import { DEFAULT_DOMAIN, domainProblems } from '@kdp/router';
import type { ControlPlaneOptions } from './control-plane-api.js';

export interface ResolvedOptions {
  readonly routerPort: number;
  readonly routerHost: string;
  readonly domain: string;
  readonly tagHeaderRouting: boolean;
  readonly logger: Logger;
  readonly queueProxyCommand: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly drainQuietPeriodSeconds: number;
  readonly shutdownGraceMs: number;
  readonly clock: Clock;
  readonly source: ControlPlaneOptions;
}

/** A local platform listens on loopback unless told otherwise (the router package's `localhost` domain assumes it). */
const DEFAULT_ROUTER_HOST = '127.0.0.1';
/**
 * Knative's queue-proxy waits 30 s without requests after SIGTERM (`drainSleepDuration`) because endpoint removal
 * takes that long to reach every ingress and activator. Here the activator drops the pod synchronously on
 * `podStopping`, before the queue-proxy is signalled, so only requests already on the wire remain. One second (the
 * smallest whole value above 0) still lets the queue-proxy accept and serve connections the activator opened just
 * before: with 0 its drain timer (1 ms) can fire before it accepted them, and they would be reset.
 */
const DEFAULT_DRAIN_QUIET_PERIOD_SECONDS = 1;
/** `stop()` is a developer's Ctrl-C: in-flight requests and pod drains get a few seconds, not Knative's 600. */
const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;
/** Tag-header routing is on by default in kdp (router `RouteTable.build`). */
const DEFAULT_TAG_HEADER_ROUTING = true;

/**
 * `[node, <the queue-proxy's V8 flags>, <@kdp/queue-proxy>/bin/kdp-queue-proxy.js]`: the bin found through the
 * package's own export, run by this very `node` with the flags its shebang would have added.
 */
export function defaultQueueProxyCommand(): readonly string[] {
  const entry = import.meta.resolve('@kdp/queue-proxy');
  return [process.execPath, ...QUEUE_PROXY_NODE_FLAGS, fileURLToPath(new URL('../bin/kdp-queue-proxy.js', entry))];
}

export function resolveOptions(o: ControlPlaneOptions): ResolvedOptions {
  const problems: string[] = [];
  if (!Number.isInteger(o.routerPort) || o.routerPort < 0 || o.routerPort > 65535) {
    problems.push(`routerPort: must be an integer in 0..65535, got ${String(o.routerPort)}`);
  }
  if (o.routerHost !== undefined && o.routerHost === '') problems.push('routerHost: must not be empty');
  const domain = o.domain ?? DEFAULT_DOMAIN;
  for (const p of domainProblems(domain)) problems.push(`domain: ${JSON.stringify(domain)}: ${p}`);
  const quiet = o.drainQuietPeriodSeconds ?? DEFAULT_DRAIN_QUIET_PERIOD_SECONDS;
  if (!Number.isInteger(quiet) || quiet < 0) {
    problems.push(`drainQuietPeriodSeconds: must be a non-negative integer, got ${String(quiet)}`);
  }
  const grace = o.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  if (!Number.isFinite(grace) || grace < 0) problems.push(`shutdownGraceMs: must be a non-negative number, got ${String(grace)}`);
  if (o.probeIntervalMs !== undefined && !(Number.isFinite(o.probeIntervalMs) && o.probeIntervalMs > 0)) {
    problems.push(`probeIntervalMs: must be a positive number, got ${String(o.probeIntervalMs)}`);
  }
  const qp = o.queueProxyCommand;
  if (qp !== undefined && (qp.length === 0 || qp.some((s) => s === ''))) {
    problems.push('queueProxyCommand: must be a non-empty list of non-empty strings');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    routerPort: o.routerPort,
    routerHost: o.routerHost ?? DEFAULT_ROUTER_HOST,
    domain,
    tagHeaderRouting: o.tagHeaderRouting ?? DEFAULT_TAG_HEADER_ROUTING,
    logger: o.logger ?? createLogger({ name: 'kdp', level: 'info' }),
    queueProxyCommand: qp ?? defaultQueueProxyCommand(),
    env: o.env ?? process.env,
    drainQuietPeriodSeconds: quiet,
    shutdownGraceMs: grace,
    clock: o.clock ?? systemClock,
    source: o,
  });
}
