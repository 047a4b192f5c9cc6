/**
 * The activator's revision table: what it knows about each revision (container concurrency, timeouts), its
 * throttler, its metric handles and its cold-start episode, plus the pods the runtime reports (`RevisionBackends`).
 * This is the object the local platform feeds:
 *   upsert(spec) / remove(key)                      from the reconciler, when revisions appear and go;
 *   podStarted / podStopping / podStopped           from the runtime, as pods come and go.
 * Pod events may arrive before the revision is upserted; its throttler then starts with the pods already ready.
 */
import type { KdpLogger, Timeouts, UnreachableHandler } from '@kdp/core';
import type { Clock, Rng } from './clock.js';
import { ColdStart } from './cold-start.js';
import type { ColdStartRecord } from './cold-start.js';
import { NOOP_REVISION_METRICS } from './metrics.js';
import type { ActivatorMetrics, RevisionMetrics } from './metrics.js';
import type { ProbeFn } from './prober.js';
import { RevisionBackends } from './revision-backends.js';
import type { BackendsListener, PodStatus, ReadyPod } from './revision-backends.js';
import { RevisionThrottler, ThrottleTicket } from './throttler.js';

/** Every pod upstream's failover hook: the request's ticket (`ex.state`, set by the handler) decides. */
const failover: UnreachableHandler = (ex, cause) => ex.state instanceof ThrottleTicket && ex.state.onUpstreamUnreachable(cause);

/** What the activator needs of a Knative Revision spec. */
export interface RevisionSpec {
  readonly namespace: string;
  readonly name: string;
  /** `spec.containerConcurrency`; 0 = unlimited. Fixed for the revision's life, as in Knative. */
  readonly containerConcurrency: number;
  /** `spec.timeoutSeconds`; Knative defaults it to 300 (`DefaultRevisionTimeoutSeconds`). */
  readonly timeoutSeconds?: number;
  /** `spec.responseStartTimeoutSeconds`; unset or 0 = off. */
  readonly responseStartTimeoutSeconds?: number;
  /** `spec.idleTimeoutSeconds`; unset or 0 = off. */
  readonly idleTimeoutSeconds?: number;
}

/** Knative `DefaultRevisionTimeoutSeconds` (pkg/apis/config/defaults.go). */
export const DEFAULT_REVISION_TIMEOUT_SECONDS = 300;

/** The body Knative's activator writes when a timeout fires (cmd/activator/main.go `NewTimeoutHandler`). */
export const ACTIVATOR_TIMEOUT_MESSAGE = 'activator request timeout';

/** `namespace/name`: the key the activator, autoscaler and runtime share. */
export function revisionKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** One known revision. */
export class RevisionEntry {
  /** Armed on every request; replaced (never mutated) when the spec's timeouts change. */
  timeouts: Timeouts;
  /** The open cold-start episode: requests are buffered and no pod is ready. */
  coldStart: ColdStart | null = null;
  /** An episode whose pod became ready; the next request sent to a pod measures its first byte. */
  awaitingFirstByte: ColdStart | null = null;
  /** The last cold start that ended with a first byte. */
  lastColdStart: ColdStartRecord | null = null;

  constructor(
    readonly key: string,
    readonly namespace: string,
    readonly name: string,
    readonly containerConcurrency: number,
    timeouts: Timeouts,
    readonly throttler: RevisionThrottler,
    readonly metrics: RevisionMetrics,
  ) {
    this.timeouts = timeouts;
  }
}

export interface RevisionsOptions {
  readonly clock: Clock;
  readonly logger: KdpLogger;
  /** Readiness probe of a pod's queue-proxy (`createHttpProber().probe` in production). */
  readonly probe: ProbeFn;
  readonly metrics?: ActivatorMetrics | null;
  /** RNG of the cc = 0 load-balancing policy. */
  readonly rng?: Rng;
  /** Requests that may wait per revision; default 10,000 (Knative `breakerQueueDepth`). */
  readonly maxBuffered?: number;
  readonly probeIntervalMs?: number;
  readonly probeTimeoutMs?: number;
  readonly probeGiveUpMs?: number;
  readonly maxIdlePerPod?: number;
}

export class Revisions {
  readonly backends: RevisionBackends;
  readonly #entries = new Map<string, RevisionEntry>();
  readonly #logger: KdpLogger;
  readonly #metrics: ActivatorMetrics | null;
  readonly #rng: Rng;
  readonly #maxBuffered: number | undefined;

  constructor(opts: RevisionsOptions) {
    this.#logger = opts.logger;
    this.#metrics = opts.metrics ?? null;
    this.#rng = opts.rng ?? Math.random;
    this.#maxBuffered = opts.maxBuffered;
    const listener: BackendsListener = {
      podReady: (revKey, pod) => this.#podReady(revKey, pod),
      podRemoved: (revKey, podId) => {
        this.#entries.get(revKey)?.throttler.removePod(podId);
      },
      podFailed: () => {
        // Logged by the backends; the runtime owns restarts. Nothing to undo here: the pod never took requests.
      },
    };
    const backendOpts = {
      listener,
      probe: opts.probe,
      clock: opts.clock,
      logger: opts.logger,
      ...(opts.probeIntervalMs === undefined ? {} : { probeIntervalMs: opts.probeIntervalMs }),
      ...(opts.probeTimeoutMs === undefined ? {} : { probeTimeoutMs: opts.probeTimeoutMs }),
      ...(opts.probeGiveUpMs === undefined ? {} : { probeGiveUpMs: opts.probeGiveUpMs }),
      ...(opts.maxIdlePerPod === undefined ? {} : { maxIdlePerPod: opts.maxIdlePerPod }),
      onUnreachable: failover,
    };
    this.backends = new RevisionBackends(backendOpts);
  }

  /**
   * Add a revision, or update its timeouts. Container concurrency is immutable (Knative revisions are): changing
   * it throws. Invalid specs throw a RangeError naming every bad field.
   */
  upsert(spec: RevisionSpec): RevisionEntry {
    const timeouts = timeoutsOf(spec);
    const key = revisionKey(spec.namespace, spec.name);
    const existing = this.#entries.get(key);
    if (existing !== undefined) {
      if (existing.containerConcurrency !== spec.containerConcurrency) {
        throw new RangeError(
          `revision ${key}: containerConcurrency is immutable (${String(existing.containerConcurrency)} → ` +
            `${String(spec.containerConcurrency)})`,
        );
      }
      existing.timeouts = timeouts;
      return existing;
    }
    const logger = this.#logger;
    const throttler = new RevisionThrottler({
      containerConcurrency: spec.containerConcurrency,
      rng: this.#rng,
      ...(this.#maxBuffered === undefined ? {} : { maxBuffered: this.#maxBuffered }),
      onInvariantBroken: (detail) => logger.error({ revision: key, detail }, 'throttler invariant broken'),
    });
    const metrics =
      this.#metrics?.forRevision(spec.namespace, spec.name, () => ({
        queued: throttler.queued,
        active: throttler.active,
      })) ?? NOOP_REVISION_METRICS;
    const entry = new RevisionEntry(key, spec.namespace, spec.name, spec.containerConcurrency, timeouts, throttler, metrics);
    this.#entries.set(key, entry);
    for (const pod of this.backends.readyPods(key)) throttler.addPod(pod.podId, pod.upstream);
    logger.info({ revision: key, containerConcurrency: spec.containerConcurrency }, 'revision added');
    return entry;
  }

  /** Forget a revision: buffered requests get 404, in-flight ones finish. Its pods stay known until stopped. */
  remove(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    entry.throttler.close();
    entry.metrics.remove();
    this.#logger.info({ revision: key }, 'revision removed');
    return true;
  }

  get(key: string): RevisionEntry | undefined {
    return this.#entries.get(key);
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** Runtime event: the pod's processes are up and its queue-proxy listens on `host:port`. */
  podStarted(revKey: string, podId: string, host: string, port: number): void {
    this.backends.podStarted(revKey, podId, host, port);
  }

  /** Runtime event: the pod is about to stop; it takes no new requests from now on. */
  podStopping(revKey: string, podId: string): void {
    this.backends.podStopping(revKey, podId);
  }

  /** A request found the pod unable to serve: out of load balancing until a probe passes again. */
  podUnreachable(revKey: string, podId: string): void {
    this.backends.podUnreachable(revKey, podId);
  }

  /** Runtime event: the pod is gone. */
  podStopped(revKey: string, podId: string): void {
    this.backends.podStopped(revKey, podId);
  }

  /** The revision's known pods and their phases. */
  pods(revKey: string): PodStatus[] {
    return this.backends.status(revKey);
  }

  /** Stop probing; buffered requests of every revision get 404. */
  close(): void {
    for (const key of [...this.#entries.keys()]) this.remove(key);
    this.backends.close();
  }

  #podReady(revKey: string, pod: ReadyPod): void {
    const entry = this.#entries.get(revKey);
    if (entry === undefined) return; // picked up by `upsert` through `readyPods`
    const episode = entry.coldStart;
    if (episode !== null && entry.throttler.readyPods === 0) {
      entry.coldStart = null;
      episode.ready(pod.startedAtMs, pod.readyAtMs, entry.metrics);
      // Set before the pod joins: joining grants the buffered requests synchronously, and the first one sent
      // measures the first byte.
      entry.awaitingFirstByte = episode;
    }
    entry.throttler.addPod(pod.podId, pod.upstream);
    // Nobody was left waiting to be sent (they timed out or left): this episode has no first byte to measure, and a
    // request much later must not be counted as its end.
    if (episode !== null && entry.awaitingFirstByte === episode) entry.awaitingFirstByte = null;
  }
}

function timeoutsOf(spec: RevisionSpec): Timeouts {
  const problems: string[] = [];
  for (const field of ['namespace', 'name'] as const) {
    const v: unknown = spec[field];
    if (typeof v !== 'string' || v === '') problems.push(`${field} must be a non-empty string`);
    else if (v.includes('/')) problems.push(`${field} must not contain "/"`);
  }
  const cc = spec.containerConcurrency;
  if (!Number.isInteger(cc) || cc < 0) problems.push(`containerConcurrency must be an integer >= 0, got ${String(cc)}`);
  const total = spec.timeoutSeconds ?? DEFAULT_REVISION_TIMEOUT_SECONDS;
  if (!Number.isFinite(total) || total <= 0) problems.push(`timeoutSeconds must be > 0, got ${String(total)}`);
  const responseStart = spec.responseStartTimeoutSeconds ?? 0;
  if (!Number.isFinite(responseStart) || responseStart < 0) {
    problems.push(`responseStartTimeoutSeconds must be >= 0, got ${String(responseStart)}`);
  }
  const idle = spec.idleTimeoutSeconds ?? 0;
  if (!Number.isFinite(idle) || idle < 0) problems.push(`idleTimeoutSeconds must be >= 0, got ${String(idle)}`);
  if (problems.length > 0) {
    throw new RangeError(`invalid revision ${String(spec.namespace)}/${String(spec.name)}: ${problems.join('; ')}`);
  }
  return Object.freeze({
    totalMs: total * 1000,
    responseStartMs: responseStart * 1000,
    idleMs: idle * 1000,
    message: ACTIVATOR_TIMEOUT_MESSAGE,
  });
}
