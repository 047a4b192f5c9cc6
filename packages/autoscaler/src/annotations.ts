// Knative's autoscaling annotations: names (serving: pkg/apis/autoscaling/register.go, with the legacy spellings
// Knative still reads) and validation (annotation_validation.go `ValidateAnnotations`: same checks, same wording,
// errors merged and sorted as knative/pkg's FieldError does), plus kdp's grace-period annotation.
import {
  PANIC_THRESHOLD_PERCENTAGE_MAX,
  PANIC_THRESHOLD_PERCENTAGE_MIN,
  PANIC_WINDOW_PERCENTAGE_MAX,
  PANIC_WINDOW_PERCENTAGE_MIN,
  TARGET_MIN,
  WINDOW_MAX_MS,
  WINDOW_MIN_MS,
  type AutoscalerConfig,
} from './config.js';
import { formatGoDuration, parseGoDuration } from './go-duration.js';

const GROUP = 'autoscaling.knative.dev';

/** Annotation names, each with the legacy camelCase spellings Knative still reads (register.go KeyPriority). */
export const ANNOTATIONS = {
  class: [`${GROUP}/class`],
  metric: [`${GROUP}/metric`],
  target: [`${GROUP}/target`],
  targetUtilizationPercentage: [`${GROUP}/target-utilization-percentage`, `${GROUP}/targetUtilizationPercentage`],
  window: [`${GROUP}/window`],
  panicWindowPercentage: [`${GROUP}/panic-window-percentage`, `${GROUP}/panicWindowPercentage`],
  panicThresholdPercentage: [`${GROUP}/panic-threshold-percentage`, `${GROUP}/panicThresholdPercentage`],
  minScale: [`${GROUP}/min-scale`, `${GROUP}/minScale`],
  maxScale: [`${GROUP}/max-scale`, `${GROUP}/maxScale`],
  initialScale: [`${GROUP}/initial-scale`, `${GROUP}/initialScale`],
  activationScale: [`${GROUP}/activation-scale`],
  targetBurstCapacity: [`${GROUP}/target-burst-capacity`, `${GROUP}/targetBurstCapacity`],
  scaleToZeroPodRetentionPeriod: [
    `${GROUP}/scale-to-zero-pod-retention-period`,
    `${GROUP}/scaleToZeroPodRetentionPeriod`,
  ],
  scaleDownDelay: [`${GROUP}/scale-down-delay`, `${GROUP}/scaleDownDelay`],
  metricAggregationAlgorithm: [`${GROUP}/metric-aggregation-algorithm`, `${GROUP}/metricAggregationAlgorithm`],
  /** kdp only: shortens the global scale-to-zero grace period for one revision (demos, tests). */
  scaleToZeroGracePeriod: ['kdp.dev/scale-to-zero-grace-period'],
} as const satisfies Record<string, readonly string[]>;

export const KPA_CLASS = 'kpa.autoscaling.knative.dev';
export const HPA_CLASS = 'hpa.autoscaling.knative.dev';

export type Annotations = Readonly<Record<string, string>>;

/** The first of `keys` present in `m`, with its value (knative/pkg kmap.KeyPriority.Get). */
export function getAnnotation(m: Annotations, keys: readonly string[]): readonly [string, string] | undefined {
  for (const k of keys) {
    const v = m[k];
    if (v !== undefined) return [k, v];
  }
  return undefined;
}

// Go's strconv.ParseFloat for the decimal forms people write; NaN and ±Inf are refused (Go would accept them, and
// then e.g. a NaN target would pass the `< 0.01` check).
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
export function parseFloatGo(v: string): number | undefined {
  return FLOAT.test(v) ? Number(v) : undefined;
}

export const INT = /^[+-]?\d+$/;
const ZERO_S = '0s'; // Go's Duration(0).String()
const INT32_MAX = 2_147_483_647;

/** knative/pkg FieldError, reduced to what the messages need: merged by message, paths sorted, sorted by message. */
class FieldErrors {
  private readonly byMessage = new Map<string, string[]>();
  add(message: string, ...paths: string[]): void {
    const existing = this.byMessage.get(message);
    if (existing === undefined) this.byMessage.set(message, paths);
    else existing.push(...paths);
  }
  invalid(value: string, path: string): void {
    this.add(`invalid value: ${value}`, path);
  }
  outOfBounds(value: string | number, lower: string | number, upper: string | number, path: string): void {
    this.add(`expected ${lower} <= ${value} <= ${upper}`, path);
  }
  lines(): string[] {
    return [...this.byMessage.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([message, paths]) => `${message}: ${[...new Set(paths)].sort().join(', ')}`);
  }
}

// annotation_validation.go getIntGE0: a bad number counts as 0 for the later min/max comparisons.
function intGE0(m: Annotations, keys: readonly string[], errs: FieldErrors): number {
  const kv = getAnnotation(m, keys);
  if (kv === undefined) return 0;
  const [k, v] = kv;
  if (!INT.test(v)) {
    errs.invalid(v, k);
    return 0;
  }
  const i = Number(v);
  if (i < 0 || i > INT32_MAX) {
    errs.outOfBounds(v, 0, INT32_MAX, k);
    return 0;
  }
  return i;
}

/**
 * Knative's `ValidateAnnotations`: one line per problem (`message: path`), sorted like knative/pkg's FieldError,
 * plus the kdp grace-period annotation. An empty list means valid.
 */
export function validateAnnotations(annotations: Annotations, config: AutoscalerConfig): string[] {
  const m = annotations;
  const errs = new FieldErrors();
  const A = ANNOTATIONS;
  const cls = getAnnotation(m, A.class);
  if (cls !== undefined && cls[1].endsWith('.knative.dev') && cls[1] !== KPA_CLASS && cls[1] !== HPA_CLASS) {
    errs.invalid(cls[1], cls[0]);
  }

  // validateMinMaxScale
  const min = intGE0(m, A.minScale, errs);
  const max = intGE0(m, A.maxScale, errs);
  if (max !== 0 && max < min) errs.add(`max-scale=${max} is less than min-scale=${min}`, A.maxScale[0], A.minScale[0]);
  const maxKv = getAnnotation(m, A.maxScale);
  if (maxKv !== undefined && config.maxScaleLimit !== 0) {
    if (max > config.maxScaleLimit) errs.outOfBounds(max, 1, config.maxScaleLimit, maxKv[0]);
    if (max === 0) errs.add(`max-scale=0 (unlimited), must be less than ${config.maxScaleLimit}`, maxKv[0]);
  }
  const act = getAnnotation(m, A.activationScale);
  if (act !== undefined) {
    const [k, v] = act;
    const nz = INT.test(v) ? Number(v) : Number.NaN;
    if (Number.isNaN(nz) || Math.abs(nz) > INT32_MAX) errs.invalid(v, k);
    else if (min > nz) errs.add(`min-scale=${min} is greater than activation-scale=${nz}`, k);
    else if (max < nz && max !== 0) errs.add(`max-scale=${max} is less than activation-scale=${nz}`, k);
    else if (nz < 2) errs.add(`activation-scale=${nz} must be greater than 1`, k);
  }

  // validateFloats
  const pw = getAnnotation(m, A.panicWindowPercentage);
  if (pw !== undefined) {
    const f = parseFloatGo(pw[1]);
    if (f === undefined) errs.invalid(pw[1], pw[0]);
    else if (f < PANIC_WINDOW_PERCENTAGE_MIN || f > PANIC_WINDOW_PERCENTAGE_MAX) {
      errs.outOfBounds(pw[1], PANIC_WINDOW_PERCENTAGE_MIN, PANIC_WINDOW_PERCENTAGE_MAX, pw[0]);
    }
  }
  const pt = getAnnotation(m, A.panicThresholdPercentage);
  if (pt !== undefined) {
    const f = parseFloatGo(pt[1]);
    if (f === undefined) errs.invalid(pt[1], pt[0]);
    else if (f < PANIC_THRESHOLD_PERCENTAGE_MIN || f > PANIC_THRESHOLD_PERCENTAGE_MAX) {
      errs.outOfBounds(pt[1], PANIC_THRESHOLD_PERCENTAGE_MIN, PANIC_THRESHOLD_PERCENTAGE_MAX, pt[0]);
    }
  }
  const target = getAnnotation(m, A.target);
  if (target !== undefined) {
    const f = parseFloatGo(target[1]);
    if (f === undefined) errs.invalid(target[1], target[0]);
    else if (f < TARGET_MIN) errs.add(`target ${target[1]} should be at least ${TARGET_MIN}`, target[0]);
  }
  const tu = getAnnotation(m, A.targetUtilizationPercentage);
  if (tu !== undefined) {
    const f = parseFloatGo(tu[1]);
    if (f === undefined) errs.invalid(tu[1], tu[0]);
    else if (f < 1 || f > 100) errs.outOfBounds(tu[1], 1, 100, tu[0]);
  }
  const tbc = getAnnotation(m, A.targetBurstCapacity);
  if (tbc !== undefined) {
    const f = parseFloatGo(tbc[1]);
    if (f === undefined || (f < 0 && f !== -1)) errs.invalid(tbc[1], tbc[0]);
  }

  // validateWindow: Knative reports the canonical key even when a legacy spelling was used.
  const win = getAnnotation(m, A.window);
  if (win !== undefined) {
    const d = parseGoDuration(win[1]);
    if (d === undefined) errs.invalid(win[1], A.window[0]);
    else if (d < WINDOW_MIN_MS || d > WINDOW_MAX_MS) {
      errs.outOfBounds(win[1], formatGoDuration(WINDOW_MIN_MS), formatGoDuration(WINDOW_MAX_MS), A.window[0]);
    } else if (d % 1000 !== 0) errs.add('must be specified with at most second precision', A.window[0]);
  }

  // validateLastPodRetention
  const ret = getAnnotation(m, A.scaleToZeroPodRetentionPeriod);
  if (ret !== undefined) {
    const d = parseGoDuration(ret[1]);
    if (d === undefined) errs.invalid(ret[1], ret[0]);
    else if (d < 0 || d > WINDOW_MAX_MS) errs.outOfBounds(ret[1], ZERO_S, formatGoDuration(WINDOW_MAX_MS), ret[0]);
  }

  // validateScaleDownDelay
  const sdd = getAnnotation(m, A.scaleDownDelay);
  if (sdd !== undefined) {
    const d = parseGoDuration(sdd[1]);
    if (d === undefined) errs.invalid(sdd[1], sdd[0]);
    else if (d < 0 || d > WINDOW_MAX_MS) errs.outOfBounds(sdd[1], ZERO_S, formatGoDuration(WINDOW_MAX_MS), sdd[0]);
    else if (Math.round(d / 1000) * 1000 !== d) errs.add('must be specified with at most second precision', sdd[0]);
  }

  // validateMetric: only KPA and HPA values are checked; other classes are left alone.
  const metric = getAnnotation(m, A.metric);
  if (metric !== undefined) {
    const classValue = cls?.[1] ?? KPA_CLASS;
    const ok =
      classValue === KPA_CLASS
        ? metric[1] === 'concurrency' || metric[1] === 'rps'
        : classValue === HPA_CLASS
          ? metric[1] !== ''
          : true;
    if (!ok) errs.invalid(metric[1], A.metric[0]);
  }

  // validateAlgorithm: Knative checks it only when the class annotation says KPA explicitly.
  const alg = getAnnotation(m, A.metricAggregationAlgorithm);
  if (cls?.[1] === KPA_CLASS && alg !== undefined && alg[1] !== '') {
    if (!['linear', 'weighted-exponential', 'weightedExponential'].includes(alg[1])) errs.invalid(alg[1], alg[0]);
  }

  // validateInitialScale
  const init = getAnnotation(m, A.initialScale);
  if (init !== undefined) {
    const [k, v] = init;
    if (!INT.test(v)) errs.invalid(v, k);
    else if (Number(v) < 0) errs.invalid(v, `${k} must be greater than 0`);
    else if (!config.allowZeroInitialScale && Number(v) === 0) errs.invalid(v, `${k}=0 not allowed by cluster`);
  }

  // kdp: the grace period override, with the global key's rule (> 0) and Knative's 1 h cap on such durations.
  const grace = getAnnotation(m, A.scaleToZeroGracePeriod);
  if (grace !== undefined) {
    const d = parseGoDuration(grace[1]);
    if (d === undefined) errs.invalid(grace[1], grace[0]);
    else if (d <= 0 || d > WINDOW_MAX_MS) {
      errs.outOfBounds(grace[1], `${ZERO_S} (exclusive)`, formatGoDuration(WINDOW_MAX_MS), grace[0]);
    }
  }
  return errs.lines();
}
