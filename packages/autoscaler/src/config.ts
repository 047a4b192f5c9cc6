// Cluster-wide autoscaler settings: Knative's `config-autoscaler` ConfigMap (serving: pkg/autoscaler/config/config.go
// `defaultConfig`, `validate`) plus the few timings Knative hard-codes. Per-revision annotations override some of
// these (settings.ts). The platform's config.ts supplies overrides; this module never reads the environment.
import { AutoscalingValidationError } from './errors.js';
import { formatGoDuration } from './go-duration.js';

export interface AutoscalerConfig {
  /** `enable-scale-to-zero`. When false, a desired scale of 0 becomes 1. */
  readonly enableScaleToZero: boolean;
  /** `container-concurrency-target-percentage` as a fraction in (0, 1]. */
  readonly containerConcurrencyTargetFraction: number;
  /** `container-concurrency-target-default`: the per-pod concurrency total when containerConcurrency is 0. */
  readonly containerConcurrencyTargetDefault: number;
  /** Utilisation fraction for the `rps` metric (`TargetUtilization`). */
  readonly rpsTargetFraction: number;
  /** `requests-per-second-target-default`. */
  readonly rpsTargetDefault: number;
  /** `max-scale-up-rate`: at most ceil(rate × ready) pods per decision. */
  readonly maxScaleUpRate: number;
  /** `max-scale-down-rate`: at least floor(ready / rate) pods per decision. */
  readonly maxScaleDownRate: number;
  /** `target-burst-capacity`: −1 = activator always in the path, 0 = only at zero. */
  readonly targetBurstCapacity: number;
  /** `panic-window-percentage` of the stable window. */
  readonly panicWindowPercentage: number;
  /** `panic-threshold-percentage`: panic when desired panic pods ≥ this % of ready pods. */
  readonly panicThresholdPercentage: number;
  /** `stable-window`. */
  readonly stableWindowMs: number;
  /** `scale-to-zero-grace-period`: how long the activator must be in the path before the last pod goes. */
  readonly scaleToZeroGracePeriodMs: number;
  /** `scale-to-zero-pod-retention-period`: minimum time the last pod stays after the revision went inactive. */
  readonly scaleToZeroPodRetentionPeriodMs: number;
  /** `scale-down-delay`: scale-downs apply only after this long at the lower value. */
  readonly scaleDownDelayMs: number;
  /** `allow-zero-initial-scale`. */
  readonly allowZeroInitialScale: boolean;
  /** `initial-scale`. */
  readonly initialScale: number;
  /** `min-scale` default for every revision. */
  readonly minScale: number;
  /** `max-scale` default for every revision (0 = unlimited). */
  readonly maxScale: number;
  /** `max-scale-limit` (0 = none). */
  readonly maxScaleLimit: number;
  /** config-deployment `progress-deadline`: a revision stuck activating this long (+30 s) is scaled to 0. */
  readonly progressDeadlineMs: number;
  /** How often every revision's pods are scraped. */
  readonly scrapeIntervalMs: number;
  /** How often the decider runs for every revision. */
  readonly scaleIntervalMs: number;
  /** Timeout of one pod scrape, whole exchange. */
  readonly scrapeTimeoutMs: number;
}

export const DEFAULT_AUTOSCALER_CONFIG: AutoscalerConfig = Object.freeze({
  enableScaleToZero: true, // config.go defaultConfig
  containerConcurrencyTargetFraction: 0.7, // config.go defaultTargetUtilization
  containerConcurrencyTargetDefault: 100, // config.go defaultConfig
  rpsTargetFraction: 0.7, // config.go defaultTargetUtilization
  rpsTargetDefault: 200, // config.go defaultConfig
  maxScaleUpRate: 1000, // config.go defaultConfig
  maxScaleDownRate: 2, // config.go defaultConfig
  targetBurstCapacity: 211, // config.go defaultConfig
  panicWindowPercentage: 10, // config.go defaultConfig
  panicThresholdPercentage: 200, // config.go defaultConfig
  stableWindowMs: 60_000, // config.go defaultConfig
  scaleToZeroGracePeriodMs: 30_000, // config.go defaultConfig
  scaleToZeroPodRetentionPeriodMs: 0, // config.go defaultConfig
  scaleDownDelayMs: 0, // config.go defaultConfig
  allowZeroInitialScale: false, // config.go defaultConfig
  initialScale: 1, // config.go defaultConfig
  minScale: 0, // config.go defaultConfig
  maxScale: 0, // config.go defaultConfig
  maxScaleLimit: 0, // config.go defaultConfig
  progressDeadlineMs: 600_000, // serving: pkg/deployment/config.go ProgressDeadlineDefault
  scrapeIntervalMs: 1000, // metrics/collector.go scrapeTickInterval
  scaleIntervalMs: 2000, // scaling/multiscaler.go tickInterval
  scrapeTimeoutMs: 3000, // metrics/stats_scraper.go httpClientTimeout
});

/** Knative's limits (serving: pkg/apis/autoscaling/register.go). */
export const TARGET_MIN = 0.01;
export const WINDOW_MIN_MS = 6_000;
export const WINDOW_MAX_MS = 3_600_000;
export const PANIC_WINDOW_PERCENTAGE_MIN = 1;
export const PANIC_WINDOW_PERCENTAGE_MAX = 100;
export const PANIC_THRESHOLD_PERCENTAGE_MIN = 110;
export const PANIC_THRESHOLD_PERCENTAGE_MAX = 1000;
/** Aggregation bucket size (config.go BucketSize). */
export const BUCKET_MS = 1000;

/**
 * Defaults overlaid with `overrides`, validated as config.go `validate` does (same wording), but reporting every
 * problem at once. `container-concurrency-target-percentage` values above 1 are read as percentages, as Knative does.
 */
export function resolveAutoscalerConfig(overrides: Partial<AutoscalerConfig> = {}): AutoscalerConfig {
  const c: AutoscalerConfig = { ...DEFAULT_AUTOSCALER_CONFIG, ...overrides };
  const fraction = c.containerConcurrencyTargetFraction > 1 ? c.containerConcurrencyTargetFraction / 100 : undefined;
  const lc: AutoscalerConfig = fraction === undefined ? c : { ...c, containerConcurrencyTargetFraction: fraction };
  const problems = validateConfig(lc);
  if (problems.length > 0) throw new AutoscalingValidationError(problems, 'autoscaler configuration');
  return Object.freeze(lc);
}

function validateConfig(lc: AutoscalerConfig): string[] {
  const p: string[] = [];
  const d = formatGoDuration;
  for (const [name, value] of Object.entries(lc)) {
    if (typeof value === 'number' && !Number.isFinite(value)) p.push(`${name} = ${value}, must be a finite number`);
  }
  if (!(lc.scaleToZeroGracePeriodMs > 0)) {
    p.push(`scale-to-zero-grace-period must be positive, was: ${d(lc.scaleToZeroGracePeriodMs)}`);
  }
  if (lc.scaleDownDelayMs < 0) p.push(`scale-down-delay cannot be negative, was: ${d(lc.scaleDownDelayMs)}`);
  if (lc.scaleDownDelayMs % 1000 !== 0) {
    p.push(`scale-down-delay = ${d(lc.scaleDownDelayMs)}, must be specified with at most second precision`);
  }
  if (lc.scaleToZeroPodRetentionPeriodMs < 0) {
    p.push(`scale-to-zero-pod-retention-period cannot be negative, was: ${d(lc.scaleToZeroPodRetentionPeriodMs)}`);
  }
  if (lc.targetBurstCapacity < 0 && lc.targetBurstCapacity !== -1) {
    p.push(
      'target-burst-capacity must be either non-negative or -1 (for unlimited), ' +
        `was: ${lc.targetBurstCapacity.toFixed(6)}`,
    );
  }
  if (lc.containerConcurrencyTargetFraction <= 0 || lc.containerConcurrencyTargetFraction > 1) {
    p.push(
      `container-concurrency-target-percentage = ${lc.containerConcurrencyTargetFraction.toFixed(6)} ` +
        'is outside of valid range of (0, 100]',
    );
  }
  const targetDefault = lc.containerConcurrencyTargetFraction * lc.containerConcurrencyTargetDefault;
  if (targetDefault < TARGET_MIN) {
    p.push(
      'container-concurrency-target-percentage and container-concurrency-target-default yield target concurrency ' +
        `of ${targetDefault}, can't be less than ${TARGET_MIN}`,
    );
  }
  if (lc.rpsTargetFraction <= 0 || lc.rpsTargetFraction > 1) {
    p.push(`rps target utilization = ${lc.rpsTargetFraction}, must be in (0, 1]`);
  }
  if (lc.rpsTargetDefault < TARGET_MIN) {
    p.push(`requests-per-second-target-default must be at least ${TARGET_MIN}, was: ${lc.rpsTargetDefault}`);
  }
  if (lc.maxScaleUpRate <= 1) p.push(`max-scale-up-rate = ${lc.maxScaleUpRate}, must be greater than 1.0`);
  if (lc.maxScaleDownRate <= 1) p.push(`max-scale-down-rate = ${lc.maxScaleDownRate}, must be greater than 1.0`);
  if (lc.stableWindowMs < WINDOW_MIN_MS || lc.stableWindowMs > WINDOW_MAX_MS) {
    p.push(`stable-window = ${d(lc.stableWindowMs)}, must be in [${d(WINDOW_MIN_MS)}; ${d(WINDOW_MAX_MS)}] range`);
  }
  if (lc.stableWindowMs % 1000 !== 0) {
    p.push(`stable-window = ${d(lc.stableWindowMs)}, must be specified with at most second precision`);
  }
  if (
    lc.panicWindowPercentage < PANIC_WINDOW_PERCENTAGE_MIN ||
    lc.panicWindowPercentage > PANIC_WINDOW_PERCENTAGE_MAX
  ) {
    p.push(
      `panic-window-percentage = ${lc.panicWindowPercentage}, must be in ` +
        `[${PANIC_WINDOW_PERCENTAGE_MIN}, ${PANIC_WINDOW_PERCENTAGE_MAX}] interval`,
    );
  }
  if (!(lc.panicThresholdPercentage > 0)) {
    // Knative does not range-check the global value; a non-positive threshold would panic forever.
    p.push(`panic-threshold-percentage = ${lc.panicThresholdPercentage}, must be positive`);
  }
  const initialScaleOk =
    Number.isInteger(lc.initialScale) && lc.initialScale >= 0 && (lc.initialScale > 0 || lc.allowZeroInitialScale);
  if (!initialScaleOk) {
    p.push(
      `initial-scale = ${lc.initialScale}, must be at least 0 (or at least 1 when allow-zero-initial-scale is false)`,
    );
  }
  if (!Number.isInteger(lc.minScale) || lc.minScale < 0) p.push(`min-scale = ${lc.minScale}, must be at least 0`);
  const minMaxScale = lc.maxScaleLimit > 0 ? 1 : 0;
  if (
    !Number.isInteger(lc.maxScale) ||
    lc.maxScale < minMaxScale ||
    (lc.maxScaleLimit > 0 && lc.maxScale > lc.maxScaleLimit)
  ) {
    p.push(`max-scale = ${lc.maxScale}, must be in [${minMaxScale}, max-scale-limit(${lc.maxScaleLimit})] range`);
  }
  if (!Number.isInteger(lc.maxScaleLimit) || lc.maxScaleLimit < 0) {
    p.push(`max-scale-limit = ${lc.maxScaleLimit}, must be at least 0`);
  }
  if (lc.minScale > lc.maxScale && lc.maxScale > 0) {
    p.push(`min-scale (${lc.minScale}) must be less than max-scale (${lc.maxScale})`);
  }
  if (!(lc.progressDeadlineMs > 0)) p.push(`progressDeadlineMs = ${lc.progressDeadlineMs}, must be positive`);
  for (const key of ['scrapeIntervalMs', 'scaleIntervalMs', 'scrapeTimeoutMs'] as const) {
    if (!(lc[key] > 0)) p.push(`${key} = ${lc[key]}, must be positive`);
  }
  return p;
}
