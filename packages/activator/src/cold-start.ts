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

  /** The first request sent after readiness started its response at `atMs`. */
  firstByte(atMs: number, metrics: RevisionMetrics): void {
    metrics.observeColdStartPhase('first_byte', Math.max(0, atMs - this.readyAtMs) / 1000);
    metrics.observeColdStart(Math.max(0, atMs - this.bufferedAtMs) / 1000);
  }
}
