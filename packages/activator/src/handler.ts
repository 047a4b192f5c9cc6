/**
 * The activator's request policy over an Exchange: Knative's activator handler chain (cmd/activator/main.go,
 * docs/contract/activator-autoscaler-routing.md §1.1) in one pass, outermost first:
 *   HealthHandler (kubelet probes) → netprobe (`K-Network-Probe: probe`) → ProbeHandler (`activator`) →
 *   context handler (revision lookup, 404) → ConcurrencyReporter (in/out, poke) → TimeoutHandler →
 *   activation handler (throttler wait, then proxy to the pod's queue-proxy; a request that provably never reached
 *   the pod's app is sent once to another pod, see `elsewhere`).
 *
 * Two entry points: `handle(ex, revKey)` for the in-process platform (the router already knows the revision) and
 * `handler`, an ExchangeHandler for the standalone server (the revision comes from headers or Host).
 * Per request it allocates one `Pending` record (plus the K-Original-Host pair when it moves the Host); headers,
 * edits and timeouts are built at setup or per revision.
 */
import { errorHeaders, isKubeletProbe } from '@kdp/core';
import type { Exchange, ExchangeHandler, ForwardEdits, Logger, Outcome, UnreachableCause } from '@kdp/core';
import type { Clock } from './clock.js';
import { ColdStart } from './cold-start.js';
import type { ConcurrencyReporter, RevisionStat } from './reporter.js';
import { revisionIdOf } from './revision-id.js';
import { revisionKey } from './revisions.js';
import type { RevisionEntry, Revisions } from './revisions.js';
import { ThrottleTicket } from './throttler.js';
import type { ThrottleFailure } from './throttler.js';

export interface ActivatorHandlerDeps {
  readonly revisions: Revisions;
  readonly reporter: ConcurrencyReporter;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Standalone Host fallback `<rev>.<ns>.svc.<clusterDomain>`; default `cluster.local`. */
  readonly clusterDomain?: string;
  /** `Retry-After` of the buffer-full 503, in seconds; default 1. */
  readonly retryAfterSeconds?: number;
}

export interface ActivatorHandler {
  /** In-process entry: serve `ex` for the revision `namespace/name`. Owns `ex.state` and `ex.onFinish`. */
  readonly handle: (ex: Exchange, revKey: string) => void;
  /** Standalone entry: the revision comes from `Knative-Serving-*` headers or the Host. */
  readonly handler: ExchangeHandler;
  /** SIGTERM: kubelet probes answer 503 from now on; requests are still served. */
  drain(): void;
  readonly draining: boolean;
}

/** Knative's `K-Proxy-Request` value (`activator.Name`) and the probe answer body. */
const ACTIVATOR = 'activator';

// Removed on the way to the pod: the revision headers (`NewHeaderPruningReverseProxy` with
// `activator.RevisionHeaders`), K-Network-Hash (netprobe deletes it on non-probe requests) and any client
// K-Proxy-Request (Knative `Header.Set`s it). K-Original-Host stays when the client already sent one
// (`RewriteHostIn` does not overwrite it); otherwise it is dropped and set to the client's Host.
const BASE_DROP = ['knative-serving-revision', 'knative-serving-namespace', 'k-network-hash', 'k-proxy-request'];
const ADD: readonly string[] = Object.freeze(['K-Proxy-Request', ACTIVATOR]);
const EDITS_KEEP_ORIGINAL_HOST: ForwardEdits = Object.freeze({
  drop: new Set(BASE_DROP),
  add: ADD,
  appendXff: true, // Go's ReverseProxy (Director form) appends the client address
});
const EDITS_SET_ORIGINAL_HOST: ForwardEdits = Object.freeze({
  drop: new Set([...BASE_DROP, 'k-original-host']),
  add: ADD,
  appendXff: true,
});

const TEXT: readonly string[] = Object.freeze(['Content-Type', 'text/plain; charset=utf-8']);
const NONE: readonly string[] = Object.freeze([]);
const BAD_REQUEST = errorHeaders('bad-request');
const NOT_FOUND = errorHeaders('not-found');
const DRAINING = errorHeaders('draining');
const OVERLOADED_NO_RETRY = errorHeaders('overloaded');
/** Knative's queue-full text (`queue.ErrRequestQueueFull`), kept as the body of kdp's buffer-full 503. */
const QUEUE_FULL_BODY = 'pending request queue full\n';
const HASH_MISSING_BODY = 'a probe request must contain a non-empty "K-Network-Hash" header\n';

/** One request: the throttle ticket plus what `onFinish` needs. */
class Pending extends ThrottleTicket {
  /** The cold start this request measures the first byte of. */
  cold: ColdStart | null = null;
  /** Waited with no ready pod (part of a cold episode). */
  buffered = false;
  /** Already sent to a second pod after the first proved unreachable. */
  retried = false;

  constructor(
    readonly ex: Exchange,
    readonly entry: RevisionEntry,
    readonly stat: RevisionStat,
    readonly arrivedAtMs: number,
    private readonly hooks: PendingHooks,
  ) {
    super(entry.throttler);
  }

  onThrottleGrant(): void {
    this.hooks.dispatch(this);
  }

  onThrottleFailed(reason: ThrottleFailure): void {
    this.hooks.failed(this, reason);
  }

  override onUpstreamUnreachable(cause: UnreachableCause): boolean {
    return this.hooks.elsewhere(this, cause);
  }
}

interface PendingHooks {
  dispatch(p: Pending): void;
  failed(p: Pending, reason: ThrottleFailure): void;
  elsewhere(p: Pending, cause: UnreachableCause): boolean;
}

export function createActivatorHandler(deps: ActivatorHandlerDeps): ActivatorHandler {
  const { revisions, reporter, clock, logger } = deps;
  const clusterDomain = deps.clusterDomain ?? 'cluster.local';
  const retryAfter = deps.retryAfterSeconds ?? 1;
  if (!Number.isInteger(retryAfter) || retryAfter < 0) {
    throw new RangeError(`retryAfterSeconds must be a non-negative integer, got ${String(retryAfter)}`);
  }
  const OVERLOADED: readonly string[] = Object.freeze([...OVERLOADED_NO_RETRY, 'Retry-After', String(retryAfter)]);
  let draining = false;

  const notFound = (ex: Exchange, namespace: string, name: string): void => {
    // Knative: `Error getting active endpoint: ` + the Kubernetes NotFound error text.
    ex.respond(404, NOT_FOUND, `Error getting active endpoint: revision.serving.knative.dev "${name}" not found\n`);
    if (namespace === '' && name === '') return;
    logger.debug({ revision: revisionKey(namespace, name) }, 'request for an unknown revision');
  };

  const dispatch = (p: Pending): void => {
    const ex = p.ex;
    const pod = p.pod;
    if (pod === null) return; // unreachable: a granted ticket has a pod
    const entry = p.entry;
    const episode = entry.awaitingFirstByte;
    if (episode !== null) {
      entry.awaitingFirstByte = null;
      p.cold = episode;
    }
    const upstream = pod.upstream;
    const originalHost = ex.header('k-original-host');
    if (originalHost !== undefined && originalHost !== '') {
      ex.forward(upstream, EDITS_KEEP_ORIGINAL_HOST, upstream.authority);
    } else {
      // Knative `RewriteHostIn` clears Host, so Go's transport sends the target, the pod's `ip:port`.
      ex.forward(upstream, EDITS_SET_ORIGINAL_HOST, upstream.authority, ['K-Original-Host', ex.header('host') ?? '']);
    }
  };

  const failed = (p: Pending, reason: ThrottleFailure): void => {
    switch (reason) {
      case 'closed':
        notFound(p.ex, p.entry.namespace, p.entry.name);
        return;
      case 'no-pod':
        p.ex.respond(503, OVERLOADED, QUEUE_FULL_BODY);
        return;
    }
  };

  /**
   * The engine found that the request never reached the pod's app (its queue-proxy refused the connection, or could
   * not connect to the app: a pod whose process just died) and it has no body. Knative returns that 502; kdp takes
   * the pod out of load balancing at once and sends the request, once, to another ready pod, within the deadline
   * armed at arrival. With no other ready pod the 502 stands (a restart would outlast most clients' patience).
   */
  const elsewhere = (p: Pending, _cause: UnreachableCause): boolean => {
    const pod = p.pod;
    if (p.retried || pod === null || p.state !== 'holding') return false;
    p.retried = true;
    const entry = p.entry;
    const throttler = entry.throttler;
    revisions.podUnreachable(entry.key, pod.podId);
    throttler.release(p);
    // A ticket is used once; this request's second attempt takes a new place in the throttler.
    p.state = 'idle';
    if (throttler.readyPods === 0) return false;
    switch (throttler.acquire(p)) {
      case 'granted':
        dispatch(p);
        return true;
      case 'queued':
        return true;
      case 'rejected':
        return false;
    }
  };

  const hooks: PendingHooks = { dispatch, failed, elsewhere };

  const onFinish = (ex: Exchange, outcome: Outcome, status: number): void => {
    const p = ex.state as Pending;
    const now = clock.now();
    const entry = p.entry;
    const throttler = entry.throttler;
    switch (p.state) {
      case 'queued':
        throttler.cancel(p);
        break;
      case 'holding':
        // May grant a waiter, which is dispatched right here.
        throttler.release(p);
        break;
      case 'idle':
      case 'released':
        break;
    }
    reporter.reqOut(p.stat, now);
    // A failure after the response head counts as a server error, as the queue-proxy records it.
    entry.metrics.observeRequest(outcome === 'upstream-error' && status < 500 ? 502 : status, (now - p.arrivedAtMs) / 1000);
    // The engine stamps when the response head went out (same clock as `clock.now()` in production).
    if (p.cold !== null && outcome === 'complete') {
      entry.lastColdStart = p.cold.firstByte(ex.responseStartedAt > 0 ? ex.responseStartedAt : now, entry.metrics);
    }
    // Everyone buffered in a cold episode left (timed out, went away) and still no pod: the episode is over, so the
    // next buffered request pokes the autoscaler again.
    if (p.buffered && entry.coldStart !== null && throttler.queued === 0 && throttler.readyPods === 0) {
      entry.coldStart = null;
    }
  };

  const serve = (ex: Exchange, entry: RevisionEntry): void => {
    const now = clock.now();
    const p = new Pending(ex, entry, reporter.reqIn(entry.key, now), now, hooks);
    ex.state = p;
    ex.onFinish = onFinish;
    // Counted from arrival, so buffered time is included (Knative's timeout handler wraps the throttler wait).
    ex.setTimeouts(entry.timeouts);
    const throttler = entry.throttler;
    switch (throttler.acquire(p)) {
      case 'granted':
        dispatch(p);
        return;
      case 'queued':
        if (throttler.readyPods === 0) {
          p.buffered = true;
          if (entry.coldStart === null) {
            entry.coldStart = new ColdStart(now);
            reporter.poke(p.stat);
            logger.debug({ revision: entry.key }, 'buffering for a revision with no ready pod; poked the autoscaler');
          }
        }
        return;
      case 'rejected':
        ex.respond(503, OVERLOADED, QUEUE_FULL_BODY);
        return;
    }
  };

  /** Health checks and probes (Knative's three outer handlers). Returns true if it answered. */
  const answeredProbe = (ex: Exchange): boolean => {
    if (isKubeletProbe(ex)) {
      // Knative answers 500 `received SIGTERM from kubelet`; kdp answers 503 like every component's drain.
      if (draining) ex.respond(503, DRAINING, 'shutting down\n');
      else ex.respond(200, NONE, '');
      return true;
    }
    const probe = ex.header('k-network-probe');
    if (probe === undefined || probe === '') return false;
    if (probe === 'probe') {
      const hash = ex.header('k-network-hash');
      if (hash === undefined || hash === '') ex.respond(400, BAD_REQUEST, HASH_MISSING_BODY);
      else ex.respond(200, ['K-Network-Hash', hash], '');
      return true;
    }
    if (probe === ACTIVATOR) ex.respond(200, TEXT, ACTIVATOR);
    else ex.respond(400, BAD_REQUEST, `unexpected probe header value: ${JSON.stringify(probe)}\n`);
    return true;
  };

  const handle = (ex: Exchange, revKey: string): void => {
    if (answeredProbe(ex)) return;
    const entry = revisions.get(revKey);
    if (entry === undefined) {
      const slash = revKey.indexOf('/');
      notFound(ex, slash === -1 ? '' : revKey.slice(0, slash), revKey.slice(slash + 1));
      return;
    }
    serve(ex, entry);
  };

  const handler: ExchangeHandler = (ex) => {
    if (answeredProbe(ex)) return;
    const id = revisionIdOf(ex, clusterDomain);
    const entry = revisions.get(revisionKey(id.namespace, id.name));
    if (entry === undefined) {
      notFound(ex, id.namespace, id.name);
      return;
    }
    serve(ex, entry);
  };

  return {
    handle,
    handler,
    drain(): void {
      draining = true;
    },
    get draining(): boolean {
      return draining;
    },
  };
}
