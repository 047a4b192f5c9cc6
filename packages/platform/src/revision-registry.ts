/**
 * The revisions the control plane holds, and what each component is told when one is added, removed, becomes ready
 * or when the routes change: the autoscaler (settings, reachability), the activator (spec), the runtime (pods). It
 * also keeps the live numbers (`LiveStats`) sampled off each revision's request histogram.
 */
import { REQUEST_DURATION_BUCKETS_SECONDS } from '@kdp/activator';
import { resolveRevisionSettings } from '@kdp/autoscaler';
import type { Logger } from '@kdp/core';
import type { RouteInput } from '@kdp/router';
import { revisionKey } from '@kdp/runtime';
import type { Clock, Revision } from '@kdp/runtime';
import type { RevisionRuntimeStatus } from './control-plane-api.js';
import type { Emit } from './events.js';
import { LiveStats } from './live-stats.js';
import type { PlatformPod } from './pod-table.js';
import {
  activatorSpecOf,
  autoscalerInputOf,
  isReachable,
  nextRoutingState,
  routedRevisions,
} from './revision-inputs.js';
import type { RoutingState } from './revision-inputs.js';
import { revisionRuntimeStatus } from './revision-status.js';
import type { DataPath } from './wiring.js';

/** How often the live numbers copy each revision's request histogram (a minute is 12 copies). */
const LIVE_SAMPLE_MS = 5_000;

interface RevisionState {
  readonly rev: Revision;
  /** The snapshot as JSON: `add` is idempotent for an identical one. */
  readonly json: string;
  routing: RoutingState;
  everReady: boolean;
  removal: Promise<void> | null;
}

export interface RevisionRegistryDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly dataPath: DataPath;
  readonly emit: Emit;
}

export class RevisionRegistry {
  readonly #revisions = new Map<string, RevisionState>();
  /** Revisions the current routes send traffic to. */
  #routed = new Set<string>();
  readonly #live = new LiveStats(REQUEST_DURATION_BUCKETS_SECONDS);
  #liveTimer: NodeJS.Timeout | undefined;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #d: DataPath;
  readonly #emit: Emit;

  constructor({ logger, clock, dataPath, emit }: RevisionRegistryDeps) {
    this.#logger = logger;
    this.#clock = clock;
    this.#d = dataPath;
    this.#emit = emit;
  }

  /** Adds a revision (idempotent for an identical snapshot); it starts at its initial scale. */
  add(rev: Revision): void {
    const { activator, autoscaler, supervisor } = this.#d;
    const key = revisionKey(rev);
    const json = JSON.stringify(rev);
    const existing = this.#revisions.get(key);
    if (existing !== undefined) {
      if (existing.removal !== null) throw new Error(`revision ${key} is being removed`);
      if (existing.json === json) return;
      throw new Error(`revision ${key} already exists with a different spec; revisions are immutable`);
    }
    const routing: RoutingState = this.#routed.has(key) ? 'active' : 'pending';
    const asInput = autoscalerInputOf(rev, isReachable(routing));
    // Validate everything before changing anything: the autoscaler's annotations (throws AutoscalingValidationError
    // with Knative's messages), then the activator's spec (RangeError).
    const settings = resolveRevisionSettings(asInput, autoscaler.config);
    activator.revisions.upsert(activatorSpecOf(rev));
    try {
      supervisor.addRevision(rev);
    } catch (err) {
      activator.revisions.remove(key);
      throw err;
    }
    // Knative marks ScaleTargetInitialized at once when the initial scale is 0 (allowed by allow-zero-initial-scale):
    // such a revision is Ready with no pod, and its first request starts one.
    // (`everReady` still waits for a pod, which announces readiness again.)
    const atZero = settings.initialScale === 0 && settings.minScale === 0;
    this.#revisions.set(key, { rev, json, routing, everReady: false, removal: null });
    // Emits the initial scale (Knative: 1 unless annotated) through onDesiredScale, which starts the pods.
    autoscaler.upsertRevision(key, asInput);
    if (atZero) {
      this.#logger.info({ revision: key }, 'revision ready at zero pods (initial scale 0)');
      this.#emit('revisionReady', key);
    }
  }

  /** Drains and stops the revision's pods; resolves once they are gone (the same promise for every caller). */
  remove(key: string): Promise<void> {
    const st = this.#revisions.get(key);
    if (st === undefined) return Promise.resolve();
    const { activator, autoscaler, supervisor } = this.#d;
    st.removal ??= (async () => {
      autoscaler.removeRevision(key);
      // Buffered requests get 404 now; requests on pods finish while the pods drain.
      activator.revisions.remove(key);
      try {
        await supervisor.removeRevision(key);
      } finally {
        this.#revisions.delete(key);
        this.#live.forget(key);
      }
    })();
    return st.removal;
  }

  /** A pod passed the activator's readiness probe: the first one makes its revision ready. */
  podReady(pod: PlatformPod): void {
    const st = this.#revisions.get(pod.revKey);
    if (st === undefined || st.everReady) return;
    st.everReady = true;
    this.#logger.info({ revision: pod.revKey, pod: pod.podId }, 'revision ready');
    this.#emit('revisionReady', pod.revKey);
  }

  /** The routes changed (the route table already holds them): moves each revision's routing state on. */
  routesChanged(routes: readonly RouteInput[]): void {
    this.#routed = routedRevisions(routes);
    for (const [key, st] of this.#revisions) {
      if (st.removal !== null) continue;
      const next = nextRoutingState(st.routing, this.#routed.has(key));
      const changed = isReachable(next) !== isReachable(st.routing);
      st.routing = next;
      if (changed) this.#d.autoscaler.upsertRevision(key, autoscalerInputOf(st.rev, isReachable(next)));
    }
  }

  status(key: string): RevisionRuntimeStatus | undefined {
    const st = this.#revisions.get(key);
    if (st === undefined || !this.#d.supervisor.has(key)) return undefined;
    return revisionRuntimeStatus(key, st, this.#d, this.#live, this.#clock);
  }

  /** Samples every revision's request histogram now and every `LIVE_SAMPLE_MS` until `stopSampling`. */
  startSampling(): void {
    this.#sampleLive();
    this.#liveTimer = setInterval(() => this.#sampleLive(), LIVE_SAMPLE_MS);
    this.#liveTimer.unref();
  }

  stopSampling(): void {
    clearInterval(this.#liveTimer);
  }

  /** Forgets every revision (after the runtime stopped all pods). */
  clear(): void {
    this.#revisions.clear();
  }

  #sampleLive(): void {
    const now = this.#clock.now();
    for (const key of this.#revisions.keys()) {
      const entry = this.#d.activator.revisions.get(key);
      if (entry !== undefined) this.#live.sample(key, entry.metrics.requestTotals(), now);
    }
  }
}
