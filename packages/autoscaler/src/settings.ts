// Per-revision autoscaling settings resolved from the annotations (annotations.ts) and the cluster config, as
// serving: pkg/apis/autoscaling/v1alpha1/pa_lifecycle.go (annotation getters), reconciler/autoscaling/resources/
// target.go (ResolveMetricTarget), metric.go (MakeMetric: panic window) and kpa/resources/decider.go (MakeDecider).
import {
  ANNOTATIONS,
  INT,
  getAnnotation as get,
  parseFloatGo,
  validateAnnotations,
  type Annotations,
} from './annotations.js';
import { BUCKET_MS, TARGET_MIN, type AutoscalerConfig } from './config.js';
import { AutoscalingValidationError } from './errors.js';
import { parseGoDuration } from './go-duration.js';

export type ScalingMetric = 'concurrency' | 'rps';
export type AggregationAlgorithm = 'linear' | 'weighted-exponential';

/** What the platform knows about a revision besides its annotations. */
export interface RevisionInput {
  readonly annotations?: Readonly<Record<string, string>>;
  /** `spec.containerConcurrency`; 0 (the default) means unlimited. */
  readonly containerConcurrency?: number;
  /** False when no route sends traffic to the revision (Knative routingState `reserve`). Default true. */
  readonly reachable?: boolean;
}

/** Everything the decider, the windows and the scale-to-zero logic need for one revision. */
export interface RevisionSettings {
  readonly metric: ScalingMetric;
  readonly aggregation: AggregationAlgorithm;
  /** Per-pod value the decider aims for: total × utilisation, at least 0.01. */
  readonly targetValue: number;
  /** Per-pod capacity (the EBC formula uses it): containerConcurrency, the target annotation, or the default. */
  readonly totalValue: number;
  readonly targetBurstCapacity: number;
  /** Fraction, e.g. 2 for 200 %. */
  readonly panicThreshold: number;
  readonly stableWindowMs: number;
  readonly panicWindowMs: number;
  readonly scaleDownDelayMs: number;
  readonly maxScaleUpRate: number;
  readonly maxScaleDownRate: number;
  /** 0 when unreachable (Knative ignores min-scale then). */
  readonly minScale: number;
  /** 0 = unlimited. */
  readonly maxScale: number;
  readonly initialScale: number;
  /** 0 = not set. */
  readonly activationScale: number;
  readonly reachable: boolean;
  readonly enableScaleToZero: boolean;
  readonly scaleToZeroGracePeriodMs: number;
  /** 0 when unreachable. */
  readonly scaleToZeroPodRetentionMs: number;
  /** progress deadline + 30 s (kpa/scaler.go activationTimeoutBuffer). */
  readonly activationTimeoutMs: number;
}

function validateContainerConcurrency(cc: number): string[] {
  // serving: pkg/apis/serving/v1/revision_validation.go, with the default max-container-concurrency of 1000.
  if (!Number.isInteger(cc) || cc < 0 || cc > 1000) return [`expected 0 <= ${cc} <= 1000: spec.containerConcurrency`];
  return [];
}

function floatAnn(m: Annotations, keys: readonly string[]): number | undefined {
  const kv = get(m, keys);
  return kv === undefined ? undefined : parseFloatGo(kv[1]);
}

function intAnn(m: Annotations, keys: readonly string[]): number | undefined {
  const kv = get(m, keys);
  return kv !== undefined && INT.test(kv[1]) ? Number(kv[1]) : undefined;
}

function durationAnn(m: Annotations, keys: readonly string[]): number | undefined {
  const kv = get(m, keys);
  return kv === undefined ? undefined : parseGoDuration(kv[1]);
}

/**
 * Validates and resolves a revision's settings against the cluster config. Throws `AutoscalingValidationError`
 * listing every problem.
 */
export function resolveRevisionSettings(input: RevisionInput, config: AutoscalerConfig): RevisionSettings {
  const m = input.annotations ?? {};
  const cc = input.containerConcurrency ?? 0;
  const problems = [...validateContainerConcurrency(cc), ...validateAnnotations(m, config)];
  if (problems.length > 0) throw new AutoscalingValidationError(problems, 'revision autoscaling settings');
  const A = ANNOTATIONS;
  const reachable = input.reachable ?? true;

  const metric: ScalingMetric = get(m, A.metric)?.[1] === 'rps' ? 'rps' : 'concurrency';
  const algName = get(m, A.metricAggregationAlgorithm)?.[1];
  const aggregation: AggregationAlgorithm =
    algName === 'weighted-exponential' || algName === 'weightedExponential' ? 'weighted-exponential' : 'linear';

  // target.go ResolveMetricTarget
  let total = metric === 'rps' ? config.rpsTargetDefault : cc === 0 ? config.containerConcurrencyTargetDefault : cc;
  let tu = metric === 'rps' ? config.rpsTargetFraction : config.containerConcurrencyTargetFraction;
  const annTarget = floatAnn(m, A.target);
  if (annTarget !== undefined) total = metric === 'concurrency' && cc !== 0 ? Math.min(annTarget, cc) : annTarget;
  const annTu = floatAnn(m, A.targetUtilizationPercentage);
  if (annTu !== undefined) tu = annTu / 100;
  const targetValue = Math.max(TARGET_MIN, total * tu);

  // metric.go MakeMetric: panic window rounded to whole seconds, at least one bucket.
  const stableWindowMs = durationAnn(m, A.window) ?? config.stableWindowMs;
  const panicPct = floatAnn(m, A.panicWindowPercentage) ?? config.panicWindowPercentage;
  const panicWindowMs = Math.max(BUCKET_MS, Math.round((stableWindowMs * panicPct) / 100 / 1000) * 1000);

  // decider.go GetInitialScale: an annotation of 0 is ignored unless the cluster allows it.
  const annInitial = intAnn(m, A.initialScale);
  const initialScale =
    annInitial === undefined || (annInitial === 0 && !config.allowZeroInitialScale) ? config.initialScale : annInitial;

  // pa_lifecycle.go ScaleBounds: min-scale does not apply to an unreachable revision.
  const minScale = reachable ? (intAnn(m, A.minScale) ?? config.minScale) : 0;
  const maxScale = intAnn(m, A.maxScale) ?? config.maxScale;

  return Object.freeze({
    metric,
    aggregation,
    targetValue,
    totalValue: total,
    targetBurstCapacity: floatAnn(m, A.targetBurstCapacity) ?? config.targetBurstCapacity,
    panicThreshold: (floatAnn(m, A.panicThresholdPercentage) ?? config.panicThresholdPercentage) / 100,
    stableWindowMs,
    panicWindowMs,
    scaleDownDelayMs: durationAnn(m, A.scaleDownDelay) ?? config.scaleDownDelayMs,
    maxScaleUpRate: config.maxScaleUpRate,
    maxScaleDownRate: config.maxScaleDownRate,
    minScale,
    maxScale,
    initialScale,
    activationScale: intAnn(m, A.activationScale) ?? 0,
    reachable,
    enableScaleToZero: config.enableScaleToZero,
    scaleToZeroGracePeriodMs: durationAnn(m, A.scaleToZeroGracePeriod) ?? config.scaleToZeroGracePeriodMs,
    // kpa/scaler.go lastPodRetention: no retention for an unreachable revision.
    scaleToZeroPodRetentionMs: reachable
      ? (durationAnn(m, A.scaleToZeroPodRetentionPeriod) ?? config.scaleToZeroPodRetentionPeriodMs)
      : 0,
    activationTimeoutMs: config.progressDeadlineMs + 30_000,
  });
}
