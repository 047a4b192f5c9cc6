// The KPA for the local platform: per revision, metric windows fed by scrapes and activator reports, the decider
// every scaling tick, and the PodAutoscaler logic (bounds, scale to zero, activator in the path) after it. This is
// Knative's autoscaler process (cmd/autoscaler: collector + multiscaler) and the KPA reconciler in one object; the
// decisions themselves live in decider.ts and pa-reconciler.ts as pure functions.
import type { Clock, KdpLogger, Stat } from '@kdp/core';
import { MetricCollection } from './collector.js';
import { resolveAutoscalerConfig, type AutoscalerConfig } from './config.js';
import {
  adaptDeciderState,
  decide,
  initialDeciderState,
  initialExcessBurstCapacity,
  type DeciderSpec,
  type DeciderState,
} from './decider.js';
import {
  SCALE_UNKNOWN,
  initialPodAutoscalerState,
  reconcilePodAutoscaler,
  type Activity,
  type PodAutoscalerState,
} from './pa-reconciler.js';
import type { StatsScraper } from './scraper.js';
import { resolveRevisionSettings, type RevisionInput, type RevisionSettings } from './settings.js';

/** Core's `Clock`; its `setTimer`, when given, drives `start()`, else the global timers are used. */
export type AutoscalerClock = Pick<Clock, 'now'> & Partial<Pick<Clock, 'setTimer'>>;

/** What accompanies every desired scale. */
export interface ScaleInfo {
  /** Spare capacity beyond the target burst capacity (−1 with TBC −1, 0 with TBC 0). */
  readonly excessBurstCapacity: number;
  /** Route the revision's requests through the activator. */
  readonly activatorInPath: boolean;
}

/** The activator's per-second report for one revision (its own concurrency, buffered requests included). */
export interface ActivatorReport {
  readonly revisionKey: string;
  readonly concurrency: number;
  readonly requestCount: number;
}

/** The levels the autoscaler logs at, of core's one narrow logger. */
export type AutoscalerLogger = Pick<KdpLogger, 'info' | 'warn'>;

export interface AutoscalerOptions {
  readonly clock: AutoscalerClock;
  /** Scrapes queue-proxies; without one only activator reports are used (as with TBC −1). */
  readonly scraper?: StatsScraper;
  /** Ready pods of a revision right now. */
  readonly readyPods: (revisionKey: string) => number;
  /**
   * Called when a revision's desired pod count or the activator's place in the path changes (or the excess burst
   * capacity changes sign). `desired` is the number of pods the runtime should run.
   */
  readonly onDesiredScale: (revisionKey: string, desired: number, info: ScaleInfo) => void;
  readonly config?: Partial<AutoscalerConfig>;
  readonly logger?: AutoscalerLogger;
}

/** A snapshot of one revision's autoscaling state, for status output and metrics. */
export interface RevisionStatus {
  readonly settings: RevisionSettings;
  /** Desired pods (what onDesiredScale last said). */
  readonly desiredScale: number;
  /** The decider's latest desired count; −1 before the first valid decision. */
  readonly deciderScale: number;
  readonly excessBurstCapacity: number;
  readonly activatorInPath: boolean;
  readonly panicking: boolean;
  readonly activity: Activity;
  /** Stable and panic averages at the last decision (NaN before it). */
  readonly observedStable: number;
  readonly observedPanic: number;
}

interface Revision {
  readonly key: string;
  settings: RevisionSettings;
  spec: DeciderSpec;
  collection: MetricCollection;
  decider: DeciderState;
  /** Latest valid decider output (Knative's Decider.Status). */
  deciderScale: number;
  ebc: number;
  pa: PodAutoscalerState;
  lastScaleMs: number;
  scrape: AbortController | null;
  observedStable: number;
  observedPanic: number;
  emitted: { desired: number; activatorInPath: boolean; ebcNegative: boolean } | null;
  activatorInPath: boolean;
}

const noop = (): void => {};
const NOOP_LOGGER: AutoscalerLogger = { warn: noop, info: noop };

function deciderSpecOf(s: RevisionSettings): DeciderSpec {
  return {
    maxScaleUpRate: s.maxScaleUpRate,
    maxScaleDownRate: s.maxScaleDownRate,
    targetValue: s.targetValue,
    totalValue: s.totalValue,
    targetBurstCapacity: s.targetBurstCapacity,
    panicThreshold: s.panicThreshold,
    stableWindowMs: s.stableWindowMs,
    scaleDownDelayMs: s.scaleDownDelayMs,
    reachable: s.reachable,
    activationScale: s.activationScale,
  };
}

export class Autoscaler {
  readonly config: AutoscalerConfig;
  private readonly clock: AutoscalerClock;
  private readonly scraper: StatsScraper | undefined;
  private readonly readyPods: (revisionKey: string) => number;
  private readonly onDesiredScale: (revisionKey: string, desired: number, info: ScaleInfo) => void;
  private readonly logger: AutoscalerLogger;
  private readonly revisions = new Map<string, Revision>();
  private cancelTimer: (() => void) | null = null;

  constructor(opts: AutoscalerOptions) {
    this.config = resolveAutoscalerConfig(opts.config);
    this.clock = opts.clock;
    this.scraper = opts.scraper;
    this.readyPods = opts.readyPods;
    this.onDesiredScale = opts.onDesiredScale;
    this.logger = opts.logger ?? NOOP_LOGGER;
  }

  /**
   * Creates or updates a revision's autoscaler from its annotations and containerConcurrency. Throws
   * `AutoscalingValidationError` (every problem listed) when they are invalid. A new revision immediately gets its
   * initial scale through `onDesiredScale`, as Knative creates the Deployment with `initial-scale` replicas.
   */
  upsertRevision(revisionKey: string, input: RevisionInput = {}): RevisionSettings {
    const settings = resolveRevisionSettings(input, this.config);
    const now = this.clock.now();
    const existing = this.revisions.get(revisionKey);
    if (existing !== undefined) {
      const spec = deciderSpecOf(settings);
      existing.decider = adaptDeciderState(existing.decider, existing.spec, spec);
      // Knative treats the aggregation algorithm as immutable; kdp starts the windows afresh when it changes.
      if (settings.aggregation !== existing.settings.aggregation) existing.collection = new MetricCollection(settings);
      else existing.collection.resize(settings.stableWindowMs, settings.panicWindowMs, now);
      existing.settings = settings;
      existing.spec = spec;
      this.reconcile(existing, now);
      return settings;
    }
    const spec = deciderSpecOf(settings);
    const rev: Revision = {
      key: revisionKey,
      settings,
      spec,
      collection: new MetricCollection(settings),
      decider: initialDeciderState(spec, this.readyPods(revisionKey), now),
      deciderScale: SCALE_UNKNOWN,
      ebc: initialExcessBurstCapacity(spec, settings.initialScale),
      pa: initialPodAutoscalerState(settings, now),
      lastScaleMs: Number.NEGATIVE_INFINITY,
      scrape: null,
      observedStable: Number.NaN,
      observedPanic: Number.NaN,
      emitted: null,
      activatorInPath: true,
    };
    this.revisions.set(revisionKey, rev);
    this.reconcile(rev, now);
    return settings;
  }

  /** Forgets a revision, cancels its scrape in flight and lets the scraper release its pods' connections. */
  removeRevision(revisionKey: string): void {
    const rev = this.revisions.get(revisionKey);
    if (rev === undefined) return;
    rev.scrape?.abort();
    this.revisions.delete(revisionKey);
    this.scraper?.forget?.(revisionKey);
  }

  /**
   * Records the activator's report for the current second. If the revision is at zero and the report shows load,
   * decides at once (Knative's multiscaler `Poke`), so scale-from-zero never waits for a tick.
   */
  reportFromActivator(report: ActivatorReport): void {
    const rev = this.revisions.get(report.revisionKey);
    if (rev === undefined) return;
    const now = this.clock.now();
    rev.collection.record(now, {
      averageConcurrentRequests: report.concurrency,
      averageProxiedConcurrentRequests: 0,
      requestCount: report.requestCount,
      proxiedRequestCount: 0,
    });
    // Knative pokes when the decider's latest scale is 0; kdp also when no pods are wanted yet (e.g. initial
    // scale 0, or the decider still without data), which Knative would pick up at its next 2 s tick.
    if (report.concurrency !== 0 && (rev.deciderScale === 0 || rev.pa.replicas === 0)) this.scaleRevision(rev, now);
  }

  /**
   * A request is waiting in the activator for a revision with no stats this period: records what Knative's
   * activator sends then (concurrency 1, one request) and decides at once if the revision is at zero. The desired
   * scale is then ≥ 1 (or activation-scale) before this returns.
   */
  poke(revisionKey: string): void {
    this.reportFromActivator({ revisionKey, concurrency: 1, requestCount: 1 });
  }

  /**
   * One tick at `nowMs`: scrapes every revision that has a scrape target (TBC ≠ −1) and no scrape in flight,
   * records the results at `nowMs`, then runs the decider where a scaling interval has passed. Resolves when this
   * tick's scrapes and decisions are done.
   */
  async tick(nowMs: number): Promise<void> {
    await Promise.all([...this.revisions.values()].map((rev) => this.tickRevision(rev, nowMs)));
  }

  /** Ticks every `scrapeIntervalMs` until `stop()`. */
  start(): void {
    if (this.cancelTimer !== null) return;
    const every = this.config.scrapeIntervalMs;
    let cancelled = false;
    let cancelNext: () => void = noop;
    const schedule = (): void => {
      cancelNext = this.setTimer(() => {
        if (cancelled) return;
        this.tick(this.clock.now()).then(undefined, (err: unknown) => {
          this.logger.warn({ err }, 'autoscaler tick failed');
        });
        schedule();
      }, every);
    };
    schedule();
    this.cancelTimer = () => {
      cancelled = true;
      cancelNext();
    };
  }

  /** Stops ticking and aborts scrapes in flight. */
  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    for (const rev of this.revisions.values()) rev.scrape?.abort();
  }

  status(revisionKey: string): RevisionStatus | undefined {
    const rev = this.revisions.get(revisionKey);
    if (rev === undefined) return undefined;
    return {
      settings: rev.settings,
      desiredScale: rev.pa.replicas,
      deciderScale: rev.deciderScale,
      excessBurstCapacity: rev.ebc,
      activatorInPath: rev.activatorInPath,
      panicking: rev.decider.panicTimeMs !== null,
      activity: rev.pa.activity,
      observedStable: rev.observedStable,
      observedPanic: rev.observedPanic,
    };
  }

  private setTimer(fn: () => void, ms: number): () => void {
    if (this.clock.setTimer !== undefined) return this.clock.setTimer(fn, ms);
    const t = setTimeout(fn, ms);
    t.unref();
    return () => {
      clearTimeout(t);
    };
  }

  private async tickRevision(rev: Revision, nowMs: number): Promise<void> {
    if (this.hasScrapeTarget(rev) && this.scraper !== undefined && rev.scrape === null) {
      const controller = new AbortController();
      rev.scrape = controller;
      let stat: Stat | null = null;
      try {
        stat = await this.scraper.scrape(rev.key, rev.settings.stableWindowMs, controller.signal);
      } catch (err) {
        if (!controller.signal.aborted) this.logger.warn({ revision: rev.key, err }, 'failed to scrape metrics');
      } finally {
        rev.scrape = null;
      }
      // Removed (or replaced) while the scrape was in flight.
      if (this.revisions.get(rev.key) !== rev) return;
      if (stat !== null) rev.collection.record(nowMs, stat);
    }
    if (nowMs - rev.lastScaleMs >= this.config.scaleIntervalMs) this.scaleRevision(rev, nowMs);
  }

  // kpa.go resolveScrapeTarget: with TBC −1 the activator sees every request, so pods are not scraped.
  private hasScrapeTarget(rev: Revision): boolean {
    return rev.settings.targetBurstCapacity !== -1;
  }

  /** The decider (multiscaler tickScaler), then the PodAutoscaler reconcile it would trigger. */
  private scaleRevision(rev: Revision, nowMs: number): void {
    rev.lastScaleMs = nowMs;
    const observed = rev.collection.stableAndPanic(rev.settings.metric, nowMs, this.hasScrapeTarget(rev));
    if (observed !== null) {
      const decision = decide(rev.spec, rev.decider, {
        nowMs,
        readyPods: this.readyPods(rev.key),
        stable: observed.stable,
        panic: observed.panic,
      });
      rev.decider = decision.state;
      rev.deciderScale = decision.result.desiredPodCount;
      rev.ebc = decision.result.excessBurstCapacity;
      rev.observedStable = observed.stable;
      rev.observedPanic = observed.panic;
    }
    this.reconcile(rev, nowMs);
  }

  private reconcile(rev: Revision, nowMs: number): void {
    const before = rev.pa.activity;
    const result = reconcilePodAutoscaler(rev.settings, rev.pa, {
      nowMs,
      desiredScale: rev.deciderScale,
      excessBurstCapacity: rev.ebc,
      readyPods: this.readyPods(rev.key),
    });
    rev.pa = result.state;
    rev.activatorInPath = result.activatorInPath;
    if (result.state.activity !== before) {
      this.logger.info({ revision: rev.key, from: before, to: result.state.activity }, 'revision activity changed');
    }
    const desired = result.state.replicas;
    const ebcNegative = rev.ebc < 0;
    const last = rev.emitted;
    if (
      last !== null &&
      last.desired === desired &&
      last.activatorInPath === result.activatorInPath &&
      last.ebcNegative === ebcNegative
    ) {
      return;
    }
    rev.emitted = { desired, activatorInPath: result.activatorInPath, ebcNegative };
    this.onDesiredScale(rev.key, desired, {
      excessBurstCapacity: rev.ebc,
      activatorInPath: result.activatorInPath,
    });
  }
}
