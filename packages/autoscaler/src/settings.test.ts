import { describe, expect, it } from 'vitest';
import { DEFAULT_AUTOSCALER_CONFIG, resolveAutoscalerConfig, type AutoscalerConfig } from './config.js';
import { AutoscalingValidationError } from './errors.js';
import { resolveRevisionSettings, validateAnnotations } from './settings.js';

const K = 'autoscaling.knative.dev/';
const cfg = DEFAULT_AUTOSCALER_CONFIG;

// serving: pkg/apis/autoscaling/annotation_validation_test.go TestValidateAnnotations (wording and ordering).
describe('validateAnnotations (Knative TestValidateAnnotations)', () => {
  it.each<{ name: string; annotations: Record<string, string>; want: string; config?: Partial<AutoscalerConfig> }>([
    { name: 'empty annotations', annotations: {}, want: '' },
    { name: 'invalid class', annotations: { [`${K}class`]: 'unsupported.knative.dev' }, want: `invalid value: unsupported.knative.dev: ${K}class` },
    { name: 'non-knative.dev domain class', annotations: { [`${K}class`]: 'some.other.domain' }, want: '' },
    { name: 'minScale is 0', annotations: { [`${K}min-scale`]: '0' }, want: '' },
    { name: 'maxScale is 0', annotations: { [`${K}max-scale`]: '0' }, want: '' },
    { name: 'minScale is -1', annotations: { [`${K}min-scale`]: '-1' }, want: `expected 0 <= -1 <= 2147483647: ${K}min-scale` },
    { name: 'maxScale is huuuuuuuge', annotations: { [`${K}max-scale`]: '2147483648' }, want: `expected 0 <= 2147483648 <= 2147483647: ${K}max-scale` },
    { name: 'maxScale is -1', annotations: { [`${K}max-scale`]: '-1' }, want: `expected 0 <= -1 <= 2147483647: ${K}max-scale` },
    { name: 'minScale is foo', annotations: { [`${K}min-scale`]: 'foo' }, want: `invalid value: foo: ${K}min-scale` },
    { name: 'max/minScale is bar', annotations: { [`${K}max-scale`]: 'bar', [`${K}min-scale`]: 'bar' }, want: `invalid value: bar: ${K}max-scale, ${K}min-scale` },
    { name: 'minScale is 2, maxScale is 5', annotations: { [`${K}min-scale`]: '2', [`${K}max-scale`]: '5' }, want: '' },
    { name: 'minScale is 5, maxScale is 2', annotations: { [`${K}min-scale`]: '5', [`${K}max-scale`]: '2' }, want: `max-scale=2 is less than min-scale=5: ${K}max-scale, ${K}min-scale` },
    { name: 'maxScale is greater than MaxScaleLimit', annotations: { [`${K}max-scale`]: '11' }, config: { maxScaleLimit: 10, maxScale: 5 }, want: `expected 1 <= 11 <= 10: ${K}max-scale` },
    { name: 'maxScale is explicitly 0 with a MaxScaleLimit', annotations: { [`${K}max-scale`]: '0' }, config: { maxScaleLimit: 10, maxScale: 5 }, want: `max-scale=0 (unlimited), must be less than 10: ${K}max-scale` },
    { name: 'maxScale is less than MaxScaleLimit', annotations: { [`${K}max-scale`]: '9' }, config: { maxScaleLimit: 10, maxScale: 5 }, want: '' },
    { name: 'min-scale, activation-scale, max-scale all set appropriately', annotations: { [`${K}min-scale`]: '1', [`${K}activation-scale`]: '2', [`${K}max-scale`]: '3' }, want: '' },
    { name: 'min-scale is greater than activation-scale', annotations: { [`${K}min-scale`]: '3', [`${K}activation-scale`]: '2' }, want: `min-scale=3 is greater than activation-scale=2: ${K}activation-scale` },
    { name: 'max-scale is less than activation-scale', annotations: { [`${K}max-scale`]: '1', [`${K}activation-scale`]: '2' }, want: `max-scale=1 is less than activation-scale=2: ${K}activation-scale` },
    { name: 'activation-scale of 1', annotations: { [`${K}activation-scale`]: '1' }, want: `activation-scale=1 must be greater than 1: ${K}activation-scale` },
    { name: 'valid algorithm on KPA', annotations: { [`${K}class`]: 'kpa.autoscaling.knative.dev', [`${K}metric-aggregation-algorithm`]: 'weighted-exponential' }, want: '' },
    { name: 'random algorithm on KPA', annotations: { [`${K}class`]: 'kpa.autoscaling.knative.dev', [`${K}metric-aggregation-algorithm`]: 'random-selection' }, want: `invalid value: random-selection: ${K}metric-aggregation-algorithm` },
    { name: 'random algorithm without class annotation (not checked)', annotations: { [`${K}metric-aggregation-algorithm`]: 'random-selection' }, want: '' },
    { name: 'panic window percentage bad', annotations: { [`${K}panic-window-percentage`]: '-1' }, want: `expected 1 <= -1 <= 100: ${K}panic-window-percentage` },
    { name: 'panic window percentage bad2', annotations: { [`${K}panic-window-percentage`]: '202' }, want: `expected 1 <= 202 <= 100: ${K}panic-window-percentage` },
    { name: 'panic window percentage bad3', annotations: { [`${K}panic-window-percentage`]: 'fifty' }, want: `invalid value: fifty: ${K}panic-window-percentage` },
    { name: 'panic threshold percentage good', annotations: { [`${K}panic-threshold-percentage`]: '210' }, want: '' },
    { name: 'panic threshold percentage bad2', annotations: { [`${K}panic-threshold-percentage`]: '109' }, want: `expected 110 <= 109 <= 1000: ${K}panic-threshold-percentage` },
    { name: 'panic threshold percentage bad2.5', annotations: { [`${K}panic-threshold-percentage`]: '10009' }, want: `expected 110 <= 10009 <= 1000: ${K}panic-threshold-percentage` },
    { name: 'panic threshold percentage bad3', annotations: { [`${K}panic-threshold-percentage`]: 'fifty' }, want: `invalid value: fifty: ${K}panic-threshold-percentage` },
    { name: 'target negative', annotations: { [`${K}target`]: '-11' }, want: `target -11 should be at least 0.01: ${K}target` },
    { name: 'target 0', annotations: { [`${K}target`]: '0' }, want: `target 0 should be at least 0.01: ${K}target` },
    { name: 'invalid target', annotations: { [`${K}target`]: '100}' }, want: `invalid value: 100}: ${K}target` },
    { name: 'target okay', annotations: { [`${K}target`]: '11' }, want: '' },
    { name: 'TBC negative', annotations: { [`${K}target-burst-capacity`]: '-11' }, want: `invalid value: -11: ${K}target-burst-capacity` },
    { name: 'TBC 0', annotations: { [`${K}target-burst-capacity`]: '0' }, want: '' },
    { name: 'TBC 19870709', annotations: { [`${K}target-burst-capacity`]: '19870709' }, want: '' },
    { name: 'TBC -1', annotations: { [`${K}target-burst-capacity`]: '-1' }, want: '' },
    { name: 'TBC invalid', annotations: { [`${K}target-burst-capacity`]: 'qarashen' }, want: `invalid value: qarashen: ${K}target-burst-capacity` },
    { name: 'TU too small', annotations: { [`${K}target-utilization-percentage`]: '0' }, want: `expected 1 <= 0 <= 100: ${K}target-utilization-percentage` },
    { name: 'TU too big', annotations: { [`${K}target-utilization-percentage`]: '101' }, want: `expected 1 <= 101 <= 100: ${K}target-utilization-percentage` },
    { name: 'TU invalid', annotations: { [`${K}target-utilization-percentage`]: 'dghyak' }, want: `invalid value: dghyak: ${K}target-utilization-percentage` },
    { name: 'window invalid', annotations: { [`${K}window`]: 'jerry-was-a-racecar-driver' }, want: `invalid value: jerry-was-a-racecar-driver: ${K}window` },
    { name: 'window too short', annotations: { [`${K}window`]: '1s' }, want: `expected 6s <= 1s <= 1h0m0s: ${K}window` },
    { name: 'window too long', annotations: { [`${K}window`]: '365h' }, want: `expected 6s <= 365h <= 1h0m0s: ${K}window` },
    { name: 'window too precise', annotations: { [`${K}window`]: '1m9s82ms' }, want: `must be specified with at most second precision: ${K}window` },
    { name: 'window 7s with class KPA', annotations: { [`${K}window`]: '7s', [`${K}class`]: 'kpa.autoscaling.knative.dev' }, want: '' },
    { name: 'valid 0 last pod scaledown timeout', annotations: { [`${K}scale-to-zero-pod-retention-period`]: '0' }, want: '' },
    { name: 'valid positive last pod scaledown timeout', annotations: { [`${K}scale-to-zero-pod-retention-period`]: '21m31s' }, want: '' },
    { name: 'invalid positive last pod scaledown timeout', annotations: { [`${K}scale-to-zero-pod-retention-period`]: '311m' }, want: `expected 0s <= 311m <= 1h0m0s: ${K}scale-to-zero-pod-retention-period` },
    { name: 'invalid negative last pod scaledown timeout', annotations: { [`${K}scale-to-zero-pod-retention-period`]: '-42s' }, want: `expected 0s <= -42s <= 1h0m0s: ${K}scale-to-zero-pod-retention-period` },
    { name: 'invalid last pod scaledown timeout', annotations: { [`${K}scale-to-zero-pod-retention-period`]: 'twenty-two-minutes-and-five-seconds' }, want: `invalid value: twenty-two-minutes-and-five-seconds: ${K}scale-to-zero-pod-retention-period` },
    { name: 'valid 0 scale down delay', annotations: { [`${K}scale-down-delay`]: '0' }, want: '' },
    { name: 'valid positive scale down delay', annotations: { [`${K}scale-down-delay`]: '21m31s' }, want: '' },
    { name: 'invalid positive scale down delay', annotations: { [`${K}scale-down-delay`]: '311m' }, want: `expected 0s <= 311m <= 1h0m0s: ${K}scale-down-delay` },
    { name: 'invalid positive scale down delay - too precise', annotations: { [`${K}scale-down-delay`]: '42.5s' }, want: `must be specified with at most second precision: ${K}scale-down-delay` },
    { name: 'invalid negative scale down delay', annotations: { [`${K}scale-down-delay`]: '-42s' }, want: `expected 0s <= -42s <= 1h0m0s: ${K}scale-down-delay` },
    {
      name: 'all together now fail',
      annotations: {
        [`${K}panic-threshold-percentage`]: 'fifty',
        [`${K}panic-window-percentage`]: '-11',
        [`${K}min-scale`]: '-4',
        [`${K}max-scale`]: 'never',
      },
      want:
        `expected 0 <= -4 <= 2147483647: ${K}min-scale\n` +
        `expected 1 <= -11 <= 100: ${K}panic-window-percentage\n` +
        `invalid value: fifty: ${K}panic-threshold-percentage\n` +
        `invalid value: never: ${K}max-scale`,
    },
    {
      name: 'all together now, succeed',
      annotations: {
        [`${K}panic-threshold-percentage`]: '125',
        [`${K}panic-window-percentage`]: '75',
        [`${K}min-scale`]: '5',
        [`${K}max-scale`]: '8',
        [`${K}window`]: '1984s',
      },
      want: '',
    },
    { name: 'invalid metric for default class (KPA)', annotations: { [`${K}metric`]: 'cpu' }, want: `invalid value: cpu: ${K}metric` },
    { name: 'invalid metric for HPA class', annotations: { [`${K}metric`]: '', [`${K}class`]: 'hpa.autoscaling.knative.dev' }, want: `invalid value: : ${K}metric` },
    { name: 'valid class KPA with metric RPS', annotations: { [`${K}metric`]: 'rps' }, want: '' },
    { name: 'valid class KPA with metric Concurrency', annotations: { [`${K}metric`]: 'concurrency' }, want: '' },
    { name: 'other than HPA and KPA class', annotations: { [`${K}class`]: 'other', [`${K}metric`]: 'rps' }, want: '' },
    { name: 'initial scale is zero but cluster does not allow', annotations: { [`${K}initial-scale`]: '0' }, want: `invalid value: 0: ${K}initial-scale=0 not allowed by cluster` },
    { name: 'initial scale is zero and cluster allows', annotations: { [`${K}initial-scale`]: '0' }, config: { allowZeroInitialScale: true }, want: '' },
    { name: 'initial scale is greater than 0', annotations: { [`${K}initial-scale`]: '2' }, want: '' },
    { name: 'initial scale is less than 0', annotations: { [`${K}initial-scale`]: '-1' }, want: `invalid value: -1: ${K}initial-scale must be greater than 0` },
    { name: 'initial scale non-parseable', annotations: { [`${K}initial-scale`]: 'invalid' }, want: `invalid value: invalid: ${K}initial-scale` },
    { name: 'legacy spelling minScale is read', annotations: { [`${K}minScale`]: '-1' }, want: `expected 0 <= -1 <= 2147483647: ${K}minScale` },
    { name: 'kdp grace period 2s', annotations: { 'kdp.dev/scale-to-zero-grace-period': '2s' }, want: '' },
    { name: 'kdp grace period 0s', annotations: { 'kdp.dev/scale-to-zero-grace-period': '0s' }, want: 'expected 0s (exclusive) <= 0s <= 1h0m0s: kdp.dev/scale-to-zero-grace-period' },
    { name: 'kdp grace period invalid', annotations: { 'kdp.dev/scale-to-zero-grace-period': 'soon' }, want: 'invalid value: soon: kdp.dev/scale-to-zero-grace-period' },
  ])('$name', ({ annotations, want, config }) => {
    const c = config === undefined ? cfg : { ...cfg, ...config };
    expect(validateAnnotations(annotations, c).join('\n')).toBe(want);
  });
});

// serving: pkg/reconciler/autoscaling/resources/target_test.go TestResolveMetricTarget, and the contract's table.
describe('resolveRevisionSettings: target resolution', () => {
  it.each<{ name: string; cc?: number; ann?: Record<string, string>; config?: Partial<AutoscalerConfig>; target: number; total: number }>([
    { name: 'cc=0: default 100 × 70 %', target: 70, total: 100 },
    { name: 'cc=10', cc: 10, target: 7, total: 10 },
    { name: 'cc=10, target=5', cc: 10, ann: { [`${K}target`]: '5' }, target: 3.5, total: 5 },
    { name: 'cc=0, target=50, tu=50 %', ann: { [`${K}target`]: '50', [`${K}target-utilization-percentage`]: '50' }, target: 25, total: 50 },
    { name: 'rps default', ann: { [`${K}metric`]: 'rps' }, target: 140, total: 200 },
    { name: 'default CC + 80 % TU', config: { containerConcurrencyTargetFraction: 0.8 }, target: 80, total: 100 },
    { name: 'non-default CC and TU', config: { containerConcurrencyTargetFraction: 0.3, containerConcurrencyTargetDefault: 2 }, target: 0.6, total: 2 },
    { name: 'cc 12 and TU 80 %, but TU annotation 75 %', cc: 12, ann: { [`${K}target-utilization-percentage`]: '75' }, config: { containerConcurrencyTargetFraction: 0.8 }, target: 9, total: 12 },
    { name: 'cc 1 and TU 80 %', cc: 1, config: { containerConcurrencyTargetFraction: 0.8 }, target: 0.8, total: 1 },
    { name: 'target annotation 1 and TU 0.1 % → TargetMin', ann: { [`${K}target`]: '1' }, config: { containerConcurrencyTargetFraction: 0.001 }, target: 0.01, total: 1 },
    { name: 'target annotation 10 and TU 75 %', ann: { [`${K}target`]: '10' }, config: { containerConcurrencyTargetFraction: 0.75 }, target: 7.5, total: 10 },
    { name: 'cc greater than target annotation', cc: 10, ann: { [`${K}target`]: '1' }, config: { containerConcurrencyTargetFraction: 1 }, target: 1, total: 1 },
    { name: 'target annotation greater than default', ann: { [`${K}target`]: '500' }, config: { containerConcurrencyTargetFraction: 1 }, target: 500, total: 500 },
    { name: 'target annotation greater than cc (cc wins, for safety)', cc: 10, ann: { [`${K}target`]: '100' }, config: { containerConcurrencyTargetFraction: 1 }, target: 10, total: 10 },
    { name: 'rps with target annotation (cc does not cap rps)', cc: 10, ann: { [`${K}metric`]: 'rps', [`${K}target`]: '300' }, target: 210, total: 300 },
  ])('$name', ({ cc, ann, config, target, total }) => {
    const c = resolveAutoscalerConfig(config);
    const s = resolveRevisionSettings({ annotations: ann ?? {}, ...(cc === undefined ? {} : { containerConcurrency: cc }) }, c);
    expect(s.targetValue).toBeCloseTo(target, 10);
    expect(s.totalValue).toBe(total);
  });
});

describe('resolveRevisionSettings: windows, bounds, scale-to-zero', () => {
  it('defaults: Knative config-autoscaler values', () => {
    expect(resolveRevisionSettings({}, cfg)).toEqual({
      metric: 'concurrency',
      aggregation: 'linear',
      targetValue: 70,
      totalValue: 100,
      targetBurstCapacity: 211,
      panicThreshold: 2,
      stableWindowMs: 60_000,
      panicWindowMs: 6_000,
      scaleDownDelayMs: 0,
      maxScaleUpRate: 1000,
      maxScaleDownRate: 2,
      minScale: 0,
      maxScale: 0,
      initialScale: 1,
      activationScale: 0,
      reachable: true,
      enableScaleToZero: true,
      scaleToZeroGracePeriodMs: 30_000,
      scaleToZeroPodRetentionMs: 0,
      activationTimeoutMs: 630_000,
    });
  });

  it.each([
    { window: '60s', pct: undefined, panic: 6_000 },
    { window: '7s', pct: undefined, panic: 1_000 }, // 0.7 s rounds to 1 s
    { window: '6s', pct: '1', panic: 1_000 }, // 60 ms, clamped to one bucket
    { window: '100s', pct: '15', panic: 15_000 },
    { window: '25s', pct: '10', panic: 3_000 }, // 2.5 s rounds half away from zero
  ])('window $window with panic-window-percentage $pct → panic window $panic ms', ({ window, pct, panic }) => {
    const ann: Record<string, string> = { [`${K}window`]: window };
    if (pct !== undefined) ann[`${K}panic-window-percentage`] = pct;
    expect(resolveRevisionSettings({ annotations: ann }, cfg).panicWindowMs).toBe(panic);
  });

  it('reads every annotation', () => {
    const s = resolveRevisionSettings(
      {
        annotations: {
          [`${K}min-scale`]: '1',
          [`${K}max-scale`]: '9',
          [`${K}initial-scale`]: '3',
          [`${K}activation-scale`]: '2',
          [`${K}target-burst-capacity`]: '-1',
          [`${K}panic-threshold-percentage`]: '150',
          [`${K}scale-down-delay`]: '30s',
          [`${K}scale-to-zero-pod-retention-period`]: '1m',
          [`${K}metric-aggregation-algorithm`]: 'weightedExponential',
          'kdp.dev/scale-to-zero-grace-period': '2s',
        },
      },
      cfg,
    );
    expect(s).toMatchObject({
      minScale: 1,
      maxScale: 9,
      initialScale: 3,
      activationScale: 2,
      targetBurstCapacity: -1,
      panicThreshold: 1.5,
      scaleDownDelayMs: 30_000,
      scaleToZeroPodRetentionMs: 60_000,
      aggregation: 'weighted-exponential',
      scaleToZeroGracePeriodMs: 2_000,
    });
  });

  it('an unreachable revision ignores min-scale and pod retention (pa_lifecycle.go ScaleBounds, scaler.go lastPodRetention)', () => {
    const s = resolveRevisionSettings(
      { reachable: false, annotations: { [`${K}min-scale`]: '3', [`${K}scale-to-zero-pod-retention-period`]: '1m' } },
      cfg,
    );
    expect(s.minScale).toBe(0);
    expect(s.scaleToZeroPodRetentionMs).toBe(0);
  });

  it('initial-scale 0 is used only when the cluster allows it', () => {
    const allow = resolveAutoscalerConfig({ allowZeroInitialScale: true });
    expect(resolveRevisionSettings({ annotations: { [`${K}initial-scale`]: '0' } }, allow).initialScale).toBe(0);
  });

  it('throws one error listing every problem, with the catalogue code', () => {
    let caught: unknown;
    try {
      resolveRevisionSettings({ containerConcurrency: -1, annotations: { [`${K}window`]: '1s', [`${K}target`]: 'x' } }, cfg);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AutoscalingValidationError);
    const e = caught as AutoscalingValidationError;
    expect(e.code).toBe('KDP_ERR_CONFIG');
    expect(e.lines).toEqual([
      'expected 0 <= -1 <= 1000: spec.containerConcurrency',
      `expected 6s <= 1s <= 1h0m0s: ${K}window`,
      `invalid value: x: ${K}target`,
    ]);
  });
});

// serving: pkg/autoscaler/config/config_test.go, in wording.
describe('resolveAutoscalerConfig', () => {
  it('defaults are frozen Knative defaults', () => {
    const c = resolveAutoscalerConfig();
    expect(c).toEqual(DEFAULT_AUTOSCALER_CONFIG);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads a target percentage above 1 as a percentage', () => {
    expect(resolveAutoscalerConfig({ containerConcurrencyTargetFraction: 80 }).containerConcurrencyTargetFraction).toBe(0.8);
  });

  it.each<[Partial<AutoscalerConfig>, string]>([
    [{ scaleToZeroGracePeriodMs: 0 }, 'scale-to-zero-grace-period must be positive, was: 0s'],
    [{ scaleDownDelayMs: -1000 }, 'scale-down-delay cannot be negative, was: -1s'],
    [{ scaleDownDelayMs: 1500 }, 'scale-down-delay = 1.5s, must be specified with at most second precision'],
    [{ targetBurstCapacity: -2 }, 'target-burst-capacity must be either non-negative or -1 (for unlimited), was: -2.000000'],
    [{ maxScaleUpRate: 1 }, 'max-scale-up-rate = 1, must be greater than 1.0'],
    [{ maxScaleDownRate: 0.5 }, 'max-scale-down-rate = 0.5, must be greater than 1.0'],
    [{ stableWindowMs: 5000 }, 'stable-window = 5s, must be in [6s; 1h0m0s] range'],
    [{ stableWindowMs: 6500 }, 'stable-window = 6.5s, must be specified with at most second precision'],
    [{ panicWindowPercentage: 0.5 }, 'panic-window-percentage = 0.5, must be in [1, 100] interval'],
    [{ initialScale: 0 }, 'initial-scale = 0, must be at least 0 (or at least 1 when allow-zero-initial-scale is false)'],
    [{ minScale: -1 }, 'min-scale = -1, must be at least 0'],
    [{ maxScaleLimit: 10 }, 'max-scale = 0, must be in [1, max-scale-limit(10)] range'],
    [{ minScale: 5, maxScale: 2 }, 'min-scale (5) must be less than max-scale (2)'],
  ])('%j → %s', (overrides, line) => {
    expect(() => resolveAutoscalerConfig(overrides)).toThrow(AutoscalingValidationError);
    try {
      resolveAutoscalerConfig(overrides);
    } catch (err) {
      expect((err as AutoscalingValidationError).lines).toContain(line);
    }
  });

  it('reports all problems together', () => {
    try {
      resolveAutoscalerConfig({ maxScaleUpRate: 1, maxScaleDownRate: 1 });
      expect.unreachable();
    } catch (err) {
      expect((err as AutoscalingValidationError).lines).toHaveLength(2);
    }
  });
});
