import { constants as osConstants } from 'node:os';
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import type { Clock } from './clock.js';
import type { RevisionFailedEvent, RuntimeEmitter } from './events.js';
import type { RuntimeLogger } from './logger.js';
import type { Pod, PodFailure, PodPhase, StopOptions, TerminalPodState } from './pod.js';
import { revisionKey, type PodPorts, type Revision } from './revision-spec.js';

export interface RevisionRunnerOptions {
  readonly revision: Revision;
  /** Makes a pod (ports allocated, not started). The runner starts it, or stops it at once if no longer wanted. */
  readonly createPod: (name: string) => Promise<Pod>;
  readonly events: RuntimeEmitter;
  readonly logger: RuntimeLogger;
  readonly clock: Clock;
  readonly backoff: BackoffPolicy;
  /** A pod that fails within this long of its start (or cannot start at all) is reported as `revisionFailed`. */
  readonly startupWindowMs: number;
}

export interface PodStatus {
  readonly name: string;
  readonly phase: PodPhase;
  readonly address: string;
  readonly ports: PodPorts;
  readonly pids: { readonly user?: number; readonly queueProxy?: number };
}

export interface RevisionStatus {
  readonly revisionKey: string;
  readonly desired: number;
  /** Pods that exist, draining ones included. */
  readonly pods: readonly PodStatus[];
  /** Pods whose ports are being allocated. */
  readonly creating: number;
  readonly consecutiveFailures: number;
  /** The last startup failure, until a pod stays up for `backoff.resetAfterMs`. */
  readonly lastFailure?: RevisionFailedEvent;
  /** Time until the next pod may start (backoff); 0 when it may start now. */
  readonly nextStartInMs: number;
}

interface Entry {
  readonly pod: Pod;
  readonly startedAt: number;
  announced: boolean;
  stopReason: 'scale-down' | 'shutdown' | undefined;
  cancelStable: () => void;
}

/** Victims of a scale-down: `starting` pods first, then the newest running ones (see scaleDownOrder). */
export function scaleDownOrder<T extends { readonly phase: PodPhase; readonly startedAt: number }>(
  pods: readonly T[],
): T[] {
  // Kubernetes' ReplicaSet controller deletes not-ready pods first, then the ones ready for the shortest time
  // (controller_utils.go ActivePodsWithRanks); Knative inherits that. Newest first also keeps the pods whose
  // readiness the activator has already seen, with warm JIT and connection pools, and takes away the ones least
  // likely to carry traffic yet.
  const rank = (p: T): number => (p.phase === 'starting' ? 0 : 1);
  return [...pods].sort((a, b) => rank(a) - rank(b) || b.startedAt - a.startedAt);
}

/**
 * Keeps `desired` pods of one revision running: starts missing ones, drains extra ones (newest first), replaces
 * failed ones after an exponential backoff, and reports pods that cannot start as revision failures.
 */
export class RevisionRunner {
  readonly revision: Revision;
  readonly key: string;
  readonly #o: RevisionRunnerOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #creations = new Set<Promise<void>>();
  #desired = 0;
  #creating = 0;
  #seq = 0;
  #failures = 0;
  #lastCountedFailureAt = -Infinity;
  #nextStartAt = -Infinity;
  #cancelRetry: (() => void) | undefined;
  #lastFailure: RevisionFailedEvent | undefined;
  #closed = false;

  constructor(options: RevisionRunnerOptions) {
    this.#o = options;
    this.revision = options.revision;
    this.key = revisionKey(options.revision);
  }

  get desired(): number {
    return this.#desired;
  }

  scale(desired: number): void {
    if (!Number.isInteger(desired) || desired < 0) {
      throw new RangeError(`desired pods must be a non-negative integer, got ${String(desired)}`);
    }
    if (this.#closed) throw new Error(`revision ${this.key} is being removed`);
    this.#desired = desired;
    this.#reconcile();
  }

  status(): RevisionStatus {
    const pods = [...this.#entries.values()].map(({ pod }) => ({
      name: pod.name,
      phase: pod.state.phase,
      address: pod.address,
      ports: pod.ports,
      pids: pod.pids,
    }));
    const s = {
      revisionKey: this.key,
      desired: this.#desired,
      pods,
      creating: this.#creating,
      consecutiveFailures: this.#failures,
      nextStartInMs: Math.max(0, Math.round(this.#nextStartAt - this.#o.clock.now())),
    };
    return this.#lastFailure === undefined ? s : { ...s, lastFailure: this.#lastFailure };
  }

  /** Stops every pod (reason `shutdown`) and starts no more; resolves when all are gone. */
  async close(options: StopOptions = {}): Promise<void> {
    this.#closed = true;
    this.#desired = 0;
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
    const entries = [...this.#entries.values()];
    for (const e of entries) this.#stop(e, 'shutdown', options);
    await Promise.all(this.#creations);
    await Promise.all(entries.map((e) => e.pod.done));
  }

  #live(): Entry[] {
    return [...this.#entries.values()].filter((e) => {
      const phase = e.pod.state.phase;
      return phase === 'starting' || phase === 'running';
    });
  }

  #reconcile(): void {
    if (this.#closed) return;
    const live = this.#live();
    const have = live.length + this.#creating;
    if (have < this.#desired) {
      const wait = this.#nextStartAt - this.#o.clock.now();
      if (wait > 0) {
        this.#scheduleRetry(wait);
        return;
      }
      for (let i = have; i < this.#desired; i++) this.#create();
    } else if (live.length > this.#desired) {
      const ranked = scaleDownOrder(live.map((e) => ({ phase: e.pod.state.phase, startedAt: e.startedAt, e })));
      for (const { e } of ranked.slice(0, live.length - this.#desired)) this.#stop(e, 'scale-down');
    }
  }

  #scheduleRetry(wait: number): void {
    if (this.#cancelRetry !== undefined) return;
    this.#cancelRetry = this.#o.clock.setTimer(() => {
      this.#cancelRetry = undefined;
      this.#reconcile();
    }, wait);
  }

  #create(): void {
    const name = `${this.revision.name}-${++this.#seq}`;
    this.#creating++;
    const p: Promise<void> = this.#o.createPod(name).then(
      (pod) => {
        this.#creating--;
        this.#creations.delete(p);
        this.#adopt(pod);
      },
      (err: unknown) => {
        this.#creating--;
        this.#creations.delete(p);
        // No ports (or another local resource problem): back off like a failed pod, without blaming the revision.
        const now = this.#o.clock.now();
        this.#countFailure(now, now);
        this.#o.logger.error({ revision: this.key, pod: name, err }, 'could not create pod');
        this.#reconcile();
      },
    );
    this.#creations.add(p);
  }

  #adopt(pod: Pod): void {
    if (this.#closed || this.#live().length >= this.#desired) {
      // Scaled down while the ports were being found: never started, so stopping it just releases them.
      void pod.stop();
      return;
    }
    const entry: Entry = {
      pod,
      startedAt: this.#o.clock.now(),
      announced: false,
      stopReason: undefined,
      cancelStable: () => {},
    };
    this.#entries.set(pod.name, entry);
    pod.on('started', (address) => {
      entry.announced = true;
      entry.cancelStable = this.#o.clock.setTimer(() => {
        this.#onStable(entry);
      }, this.#o.backoff.resetAfterMs);
      this.#o.events.emit('podStarted', { revisionKey: this.key, podId: pod.name, address });
    });
    pod.on('stopping', (cause) => {
      const reason = cause.kind === 'failure' ? 'failure' : (entry.stopReason ?? 'scale-down');
      this.#o.events.emit('podStopping', { revisionKey: this.key, podId: pod.name, address: pod.address, reason });
    });
    void pod.done.then((final) => {
      this.#onDone(entry, final);
    });
    pod.start();
  }

  #stop(e: Entry, reason: 'scale-down' | 'shutdown', options: StopOptions = {}): void {
    e.stopReason ??= reason;
    // The podStopping event fires inside stop(), before the queue-proxy gets SIGTERM.
    void e.pod.stop(options);
  }

  #onStable(e: Entry): void {
    if (e.pod.state.phase !== 'running' || this.#failures === 0) return;
    this.#o.logger.info(
      { revision: this.key, pod: e.pod.name, failures: this.#failures },
      'pod stayed up: revision healthy again, backoff reset',
    );
    this.#failures = 0;
    this.#lastFailure = undefined;
  }

  #countFailure(podStartedAt: number, now: number): void {
    // Pods started before the last counted failure belong to the same round: several pods of one round crashing
    // together escalate the backoff once, not once per pod.
    if (podStartedAt >= this.#lastCountedFailureAt) {
      this.#failures++;
      this.#lastCountedFailureAt = now;
    }
    this.#nextStartAt = Math.max(this.#nextStartAt, now + backoffDelayMs(this.#failures, this.#o.backoff));
  }

  #onDone(e: Entry, final: TerminalPodState): void {
    e.cancelStable();
    this.#entries.delete(e.pod.name);
    const now = this.#o.clock.now();
    const base = { revisionKey: this.key, podId: e.pod.name, address: e.pod.address };
    if (final.phase === 'stopped') {
      if (e.announced) this.#o.events.emit('podStopped', { ...base, outcome: 'stopped' });
      this.#reconcile();
      return;
    }
    this.#countFailure(e.startedAt, now);
    const wanted = !this.#closed && this.#desired > 0;
    const restartInMs = wanted ? Math.max(0, Math.round(this.#nextStartAt - now)) : null;
    this.#o.logger.warn(
      { revision: this.key, pod: e.pod.name, failures: this.#failures, restartInMs },
      'pod failed: replacing it after backoff',
    );
    if (e.announced) {
      this.#o.events.emit('podStopped', {
        ...base,
        outcome: 'failed',
        failure: final.failure,
        logTail: final.logTail,
        restartInMs,
      });
    }
    if (!e.announced || final.failedAt - e.startedAt < this.#o.startupWindowMs) {
      const event: RevisionFailedEvent = {
        revisionKey: this.key,
        podId: e.pod.name,
        reason: failureReason(final.failure),
        message: `revision ${this.key} failed to start: ${final.failure.message}`,
        failure: final.failure,
        logTail: final.logTail,
        consecutiveFailures: this.#failures,
        retryInMs: restartInMs,
      };
      this.#lastFailure = event;
      this.#o.events.emit('revisionFailed', event);
    }
    this.#reconcile();
  }
}

/** Knative's ContainerHealthy reason (serving pkg/apis/serving/v1 `ExitCodeReason`): `ExitCode<n>`. */
export function failureReason(failure: PodFailure): string {
  const end = failure.end;
  if (end.kind === 'spawn-error') return 'SpawnFailed';
  if (end.signal !== null) return `ExitCode${128 + (osConstants.signals[end.signal] ?? 0)}`;
  return `ExitCode${String(end.code ?? 0)}`;
}
