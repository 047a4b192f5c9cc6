import { describe, expect, it } from 'vitest';
import { DEFAULT_AUTOSCALER_CONFIG, resolveAutoscalerConfig, type AutoscalerConfig } from './config.js';
import { AutoscalingValidationError } from './errors.js';
import { resolveRevisionSettings } from './settings.js';

const K = 'autoscaling.knative.dev/';
const cfg = DEFAULT_AUTOSCALER_CONFIG;

// serving: pkg/reconciler/autoscaling/resources/target_test.go TestResolveMetricTarget, and the table in docs/contract/activator-autoscaler-routing.md §2.2.
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
