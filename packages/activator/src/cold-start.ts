/**
 * One cold-start episode of a revision: it opens when a request is buffered while the revision has no ready pod,
 * and closes when the first response byte of a request sent to the first ready pod leaves. Phases (metrics.ts):
 *
 *   bufferedAt ──pod_start──▶ podStartedAt ──app_ready──▶ readyAt ──first_byte──▶ firstByteAt
 *
 * A pod already started before the first buffered request (the autoscaler was ahead, or min-scale) gives pod_start
 * 0 and app_ready counted from the buffering, so the phases always add up to the total.
 */
import type { RevisionMetrics } from './metrics.js';

export class ColdStart {
  podStartedAtMs = Number.NaN;
  readyAtMs = Number.NaN;

  constructor(readonly bufferedAtMs: number) {}

  /** The first pod of the episode passed its probe. */
  ready(podStartedAtMs: number, readyAtMs: number, metrics: RevisionMetrics): void {
    const started = Math.max(podStartedAtMs, this.bufferedAtMs);
    this.podStartedAtMs = started;
    this.readyAtMs = readyAtMs;
    metrics.observeColdStartPhase('pod_start', (started - this.bufferedAtMs) / 1000);
    metrics.observeColdStartPhase('app_ready', Math.max(0, readyAtMs - started) / 1000);
  }

  /** The first request sent after readiness started its response at `atMs`. Returns the episode's figures. */
  firstByte(atMs: number, metrics: RevisionMetrics): ColdStartRecord {
    const firstByteMs = Math.max(0, atMs - this.readyAtMs);
    const totalMs = Math.max(0, atMs - this.bufferedAtMs);
    metrics.observeColdStartPhase('first_byte', firstByteMs / 1000);
    metrics.observeColdStart(totalMs / 1000);
    return Object.freeze({
      atMs,
      totalMs,
      podStartMs: this.podStartedAtMs - this.bufferedAtMs,
      appReadyMs: Math.max(0, this.readyAtMs - this.podStartedAtMs),
      firstByteMs,
    });
  }
}

/** One finished cold start, in ms on the activator's clock; the phases add up to `totalMs`. */
export interface ColdStartRecord {
  /** When it ended (first response byte). */
  readonly atMs: number;
  readonly totalMs: number;
  readonly podStartMs: number;
  readonly appReadyMs: number;
  readonly firstByteMs: number;
}
