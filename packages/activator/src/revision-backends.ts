/**
 * Which pods each revision has and which of them are ready (Knative `pkg/activator/net/revision_backends.go`).
 *
 * Knative learns pods from the revision's private Endpoints and probes the not-yet-healthy ones in rounds; kdp's
 * runtime tells the activator directly:
 *   podStarted(rev, pod, host, port)  the pod's processes are up; probe its queue-proxy now and every
 *                                     `probeIntervalMs` until it answers 200 `queue`, then it is ready;
 *   podStopping(rev, pod)             leave load balancing at once (requests on it finish);
 *   podStopped(rev, pod)              forget it and close its idle connections.
 * A ready pod is announced to the listener in the same turn as the successful probe, so buffered requests flow
 * with no extra delay. Probing gives up after `probeGiveUpMs` and reports the pod as failed.
 *
 * Differences from Knative: one probe loop per pod, not per revision (a slow pod does not delay its siblings'
 * readiness); a pod once healthy is not re-probed (Knative re-probes only when Endpoints move it to not-ready, which
 * is `podStopping` here); no ClusterIP fallback and no mesh detection.
 */
import { Upstream } from '@kdp/core';
import type { KdpLogger, UnreachableHandler } from '@kdp/core';
import type { Clock } from './clock.js';
import type { ProbeFn } from './prober.js';

/**
 * Connections the activator opens to one pod's queue-proxy at most; beyond, requests wait for a released socket.
 * With containerConcurrency > 0 the throttler keeps in-flight per pod far below this; with 0 (unlimited), releasing a
 * burst of thousands of buffered requests at once would otherwise open as many connections and overflow the
 * queue-proxy's listen backlog (bench/results/burst.md). 1000 mirrors the queue-proxy's own idle pool for CC = 0.
 */
const MAX_CONNECTIONS_PER_POD = 1000;

/** A pod that passed its readiness probe. */
export interface ReadyPod {
  readonly podId: string;
  readonly upstream: Upstream;
  /** `podStarted` time and probe-success time, on the injected clock. */
  readonly startedAtMs: number;
  readonly readyAtMs: number;
}

/** What the backends tell the throttling side. Called synchronously; must not throw. */
export interface BackendsListener {
  podReady(revKey: string, pod: ReadyPod): void;
  /** The pod left load balancing (stopping or stopped). Only sent for pods that were ready. */
  podRemoved(revKey: string, podId: string): void;
  /** Probing gave up: the pod never answered ready within the bound. */
  podFailed(revKey: string, podId: string): void;
}

export type PodPhase = 'probing' | 'ready' | 'stopping' | 'failed';

export interface PodStatus {
  readonly podId: string;
  readonly address: string;
  readonly phase: PodPhase;
  readonly probes: number;
}

export interface RevisionBackendsOptions {
  readonly listener: BackendsListener;
  readonly probe: ProbeFn;
  readonly clock: Clock;
  readonly logger: KdpLogger;
  /** Pause between a failed probe and the next; kdp 50 ms (Knative's PROBE_FREQUENCY is 200 ms). */
  readonly probeIntervalMs?: number;
  /** Deadline of one probe request; Knative PROBE_TIMEOUT 300 ms. */
  readonly probeTimeoutMs?: number;
  /** Stop probing a pod that is not ready this long after `podStarted`; 60 s. */
  readonly probeGiveUpMs?: number;
  /** Idle keep-alive connections kept per pod; Knative MAX_IDLE_PROXY_CONNS_PER_HOST 100. */
  readonly maxIdlePerPod?: number;
  /** Every pod's failover hook (the engine calls it for a request that never reached the pod's app). */
  readonly onUnreachable?: UnreachableHandler;
}

class Pod {
  phase: PodPhase = 'probing';
  probes = 0;
  readyAtMs = 0;
  /** Start of the current probing round: `startedAtMs`, or when a ready pod was found unreachable. */
  probingSinceMs: number;
  timer: NodeJS.Timeout | null = null;
  abort: AbortController | null = null;
  readonly upstream: Upstream;

  constructor(
    readonly revKey: string,
    readonly podId: string,
    host: string,
    port: number,
    maxIdle: number,
    readonly startedAtMs: number,
    onUnreachable: UnreachableHandler | null,
  ) {
    this.probingSinceMs = startedAtMs;
    this.upstream = new Upstream({ host, port, maxIdle, maxConnections: MAX_CONNECTIONS_PER_POD, onUnreachable });
  }

  /** Stop probing. */
  quiesce(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    this.abort = null;
  }
}


export class RevisionBackends {
  readonly #revisions = new Map<string, Map<string, Pod>>();
  readonly #listener: BackendsListener;
  readonly #probe: ProbeFn;
  readonly #clock: Clock;
  readonly #logger: KdpLogger;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #giveUpMs: number;
  readonly #maxIdle: number;
  readonly #onUnreachable: UnreachableHandler | null;
  #closed = false;

  constructor(opts: RevisionBackendsOptions) {
    this.#listener = opts.listener;
    this.#probe = opts.probe;
    this.#clock = opts.clock;
    this.#logger = opts.logger;
    this.#intervalMs = positive('probeIntervalMs', opts.probeIntervalMs ?? 50);
    this.#timeoutMs = positive('probeTimeoutMs', opts.probeTimeoutMs ?? 300);
    this.#giveUpMs = positive('probeGiveUpMs', opts.probeGiveUpMs ?? 60_000);
    const maxIdle = opts.maxIdlePerPod ?? 100;
    if (!Number.isInteger(maxIdle) || maxIdle < 0) {
      throw new RangeError(`RevisionBackends maxIdlePerPod must be a non-negative integer, got ${String(maxIdle)}`);
    }
    this.#maxIdle = maxIdle;
    this.#onUnreachable = opts.onUnreachable ?? null;
  }

  /** The runtime started a pod whose queue-proxy listens on `host:port`. A known pod id is restarted afresh. */
  podStarted(revKey: string, podId: string, host: string, port: number): void {
    if (this.#closed) return;
    let pods = this.#revisions.get(revKey);
    if (pods === undefined) {
      pods = new Map();
      this.#revisions.set(revKey, pods);
    }
    const old = pods.get(podId);
    if (old !== undefined) this.#drop(old, pods);
    const pod = new Pod(revKey, podId, host, port, this.#maxIdle, this.#clock.now(), this.#onUnreachable);
    pods.set(podId, pod);
    this.#logger.debug({ revision: revKey, pod: podId, address: pod.upstream.authority }, 'pod started; probing');
    this.#runProbe(pod);
  }

  /** The pod is about to stop: out of load balancing now, in-flight requests finish. */
  podStopping(revKey: string, podId: string): void {
    const pod = this.#revisions.get(revKey)?.get(podId);
    if (pod === undefined || pod.phase === 'stopping') return;
    const wasReady = pod.phase === 'ready';
    pod.quiesce();
    pod.phase = 'stopping';
    if (wasReady) this.#listener.podRemoved(revKey, podId);
  }

  /**
   * A request to the pod proved that it cannot serve (its queue-proxy refused the connection, or could not reach the
   * app): out of load balancing at once, and back to probing, instead of failing every request until the runtime
   * or a probe notices. It returns when a probe passes again.
   */
  podUnreachable(revKey: string, podId: string): void {
    const pod = this.#revisions.get(revKey)?.get(podId);
    if (pod === undefined || pod.phase !== 'ready') return;
    pod.phase = 'probing';
    pod.probingSinceMs = this.#clock.now();
    this.#logger.warn({ revision: revKey, pod: podId, address: pod.upstream.authority }, 'pod unreachable; out of load balancing until a probe passes');
    this.#listener.podRemoved(revKey, podId);
    this.#runProbe(pod);
  }

  /** The pod is gone. */
  podStopped(revKey: string, podId: string): void {
    const pods = this.#revisions.get(revKey);
    const pod = pods?.get(podId);
    if (pods === undefined || pod === undefined) return;
    this.#drop(pod, pods);
    if (pods.size === 0) this.#revisions.delete(revKey);
  }

  /** Pods of the revision that are ready now, for a throttler created after they became ready. */
  readyPods(revKey: string): ReadyPod[] {
    const out: ReadyPod[] = [];
    const pods = this.#revisions.get(revKey);
    if (pods === undefined) return out;
    for (const pod of pods.values()) if (pod.phase === 'ready') out.push(readyView(pod));
    return out;
  }

  /** Every known pod of the revision, for status and debugging. */
  status(revKey: string): PodStatus[] {
    const pods = this.#revisions.get(revKey);
    if (pods === undefined) return [];
    return [...pods.values()].map((p) => ({
      podId: p.podId,
      address: p.upstream.authority,
      phase: p.phase,
      probes: p.probes,
    }));
  }

  /** Stops every probe and closes idle pod connections. */
  close(): void {
    this.#closed = true;
    for (const pods of this.#revisions.values()) {
      for (const pod of pods.values()) {
        pod.quiesce();
        pod.upstream.close();
      }
    }
    this.#revisions.clear();
  }

  #drop(pod: Pod, pods: Map<string, Pod>): void {
    const wasReady = pod.phase === 'ready';
    pod.quiesce();
    pod.phase = 'stopping';
    pods.delete(pod.podId);
    if (wasReady) this.#listener.podRemoved(pod.revKey, pod.podId);
    // Only idle connections close; requests still on the pod finish and their sockets are then discarded.
    pod.upstream.close();
  }

  #runProbe(pod: Pod): void {
    pod.timer = null;
    if (pod.phase !== 'probing') return;
    const abort = new AbortController();
    pod.abort = abort;
    pod.probes++;
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(this.#timeoutMs)]);
    this.#probe(pod.upstream.host, pod.upstream.port, signal).then(
      (ok) => this.#probed(pod, abort, ok),
      () => this.#probed(pod, abort, false),
    );
  }

  #probed(pod: Pod, abort: AbortController, ok: boolean): void {
    // A stale answer: the pod was stopped or restarted (a new Pod object) meanwhile.
    if (pod.abort !== abort || pod.phase !== 'probing') return;
    pod.abort = null;
    const now = this.#clock.now();
    if (ok) {
      pod.phase = 'ready';
      pod.readyAtMs = now;
      this.#logger.debug(
        { revision: pod.revKey, pod: pod.podId, probes: pod.probes, ms: Math.round(now - pod.startedAtMs) },
        'pod ready',
      );
      this.#listener.podReady(pod.revKey, readyView(pod));
      return;
    }
    if (now - pod.probingSinceMs >= this.#giveUpMs) {
      pod.phase = 'failed';
      this.#logger.warn(
        { revision: pod.revKey, pod: pod.podId, address: pod.upstream.authority, probes: pod.probes, giveUpMs: this.#giveUpMs },
        'pod never became ready; stopped probing it',
      );
      this.#listener.podFailed(pod.revKey, pod.podId);
      return;
    }
    const timer = setTimeout(() => this.#runProbe(pod), this.#intervalMs);
    timer.unref();
    pod.timer = timer;
  }
}

function readyView(pod: Pod): ReadyPod {
  return { podId: pod.podId, upstream: pod.upstream, startedAtMs: pod.startedAtMs, readyAtMs: pod.readyAtMs };
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`RevisionBackends ${name} must be a positive number, got ${String(v)}`);
  return v;
}
