// Knative's decision tests (serving: pkg/autoscaler/scaling/autoscaler_test.go) as tables. Their fixture: target
// utilisation 75 % (TotalValue = target / 0.75), panic threshold 2, scale-up and scale-down rates 10, stable window
// 60 s, reachable, created with 1 ready pod. Knative compares the EBC with ±1 tolerance; these compare it exactly.
import { describe, expect, it } from 'vitest';
import {
  DELAY_WINDOW_GRANULARITY_MS,
  decide,
  initialDeciderState,
  initialExcessBurstCapacity,
  type DeciderSpec,
  type DeciderState,
} from './decider.js';

const TARGET_UTILIZATION = 0.75;
const STABLE_WINDOW_MS = 60_000;
const T0 = 1_700_000_000_000;

function spec(targetValue: number, targetBurstCapacity: number, over: Partial<DeciderSpec> = {}): DeciderSpec {
  return {
    targetValue,
    totalValue: targetValue / TARGET_UTILIZATION,
    targetBurstCapacity,
    panicThreshold: 2,
    maxScaleUpRate: 10,
    maxScaleDownRate: 10,
    stableWindowMs: STABLE_WINDOW_MS,
    scaleDownDelayMs: 0,
    reachable: true,
    activationScale: 0,
    ...over,
  };
}

/** autoscaler_test.go expectedEBC. */
function expectedEBC(totCap: number, targetBC: number, recordedConcurrency: number, numPods: number): number {
  return Math.floor((totCap / TARGET_UTILIZATION) * numPods - targetBC - recordedConcurrency);
}

/** A decider as newTestAutoscaler makes it: created while 1 pod is ready. */
function fresh(s: DeciderSpec, readyAtCreation = 1): DeciderState {
  return initialDeciderState(s, readyAtCreation, T0);
}

describe('decide: TestAutoscalerScale table', () => {
  it.each([
    { label: 'AutoscalerNoDataAtZeroNoAutoscale', s: spec(10, 100), stable: 0, panic: 0, ready: 1, want: 0, ebc: expectedEBC(10, 100, 0, 1) },
    { label: 'AutoscalerStableModeUnlimitedTBC', s: spec(181, -1), stable: 21, panic: 26, ready: 1, want: 1, ebc: -1 },
    { label: 'Autoscaler0TBC', s: spec(10, 0), stable: 50, panic: 49, ready: 1, want: 5, ebc: 0 },
    { label: 'AutoscalerStableModeNoChange', s: spec(10, 100), stable: 50, panic: 50, ready: 1, want: 5, ebc: expectedEBC(10, 100, 50, 1) },
    {
      label: 'AutoscalerPanicStableLargerThanPanic (stable value wins)',
      s: spec(1, 100),
      stable: 50,
      panic: 30,
      ready: 5,
      prep: { panicTimeMs: T0 - 5000, maxPanicPods: 5 },
      want: 50,
      ebc: expectedEBC(1, 100, 30, 5),
    },
    {
      label: 'AutoscalerPanicStableLessThanPanic (panic value wins)',
      s: spec(1, 100),
      stable: 20,
      panic: 30,
      ready: 5,
      prep: { panicTimeMs: T0 - 5000, maxPanicPods: 5 },
      want: 30,
      ebc: expectedEBC(1, 100, 30, 5),
    },
    { label: 'AutoscalerStableModeNoChangeAlreadyScaled', s: spec(10, 100), stable: 50, panic: 50, ready: 5, want: 5, ebc: expectedEBC(10, 100, 50, 5) },
    {
      label: 'AutoscalerStableModeIncreaseWithSmallScaleUpRate',
      s: spec(1, 1982, { maxScaleUpRate: 1.1 }),
      stable: 3,
      panic: 3.1,
      ready: 2,
      want: 3,
      ebc: expectedEBC(1, 1982, 3.1, 2),
    },
    {
      label: 'AutoscalerStableModeDecreaseWithSmallScaleDownRate',
      s: spec(10, 1982, { maxScaleDownRate: 1.1 }),
      stable: 1,
      panic: 1,
      ready: 100,
      want: 90,
      ebc: expectedEBC(10, 1982, 1, 100),
    },
    {
      label: 'AutoscalerStableModeDecreaseNonReachable',
      s: spec(10, 1982, { maxScaleDownRate: 1.1, reachable: false }),
      stable: 1,
      panic: 1,
      ready: 100,
      want: 1,
      ebc: expectedEBC(10, 1982, 1, 100),
    },
    { label: 'AutoscalerPanicModeDoublePodCount', s: spec(10, 84), stable: 50, panic: 100, ready: 1, want: 10, ebc: expectedEBC(10, 84, 100, 1) },
    // TestAutoscalerMetrics: the decision part.
    { label: 'TestAutoscalerMetrics', s: spec(10, 100), stable: 50, panic: 50, ready: 1, want: 5, ebc: expectedEBC(10, 100, 50, 1) },
    // TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound: 0 ready pods count as 1 for the rate limit.
    {
      label: 'TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound',
      s: spec(10, 81),
      stable: 1000,
      panic: 888,
      ready: 0,
      want: 10,
      ebc: expectedEBC(10, 81, 888, 0),
    },
  ])('$label', ({ s, stable, panic, ready, prep, want, ebc }) => {
    const state: DeciderState = { ...fresh(s), ...prep };
    const { result } = decide(s, state, { nowMs: T0, readyPods: ready, stable, panic });
    expect(result).toEqual({ desiredPodCount: want, excessBurstCapacity: ebc });
  });
});

interface Step {
  /** Offset from T0. */
  readonly atMs: number;
  readonly ready: number;
  readonly stable: number;
  readonly panic: number;
  readonly want: number;
  readonly ebc?: number;
  /** Expected panic start after the step (undefined: not checked). */
  readonly panicTimeMs?: number | null;
  /** Replace the spec before this step (Knative `Update`). */
  readonly update?: DeciderSpec;
}

function run(s0: DeciderSpec, steps: readonly Step[], readyAtCreation = 1): void {
  let s = s0;
  let state = fresh(s, readyAtCreation);
  steps.forEach((step, i) => {
    if (step.update !== undefined) s = step.update;
    const d = decide(s, state, { nowMs: T0 + step.atMs, readyPods: step.ready, stable: step.stable, panic: step.panic });
    state = d.state;
    expect(d.result.desiredPodCount, `step ${i} desired`).toBe(step.want);
    if (step.ebc !== undefined) expect(d.result.excessBurstCapacity, `step ${i} ebc`).toBe(step.ebc);
    if (step.panicTimeMs !== undefined) {
      expect(state.panicTimeMs, `step ${i} panic time`).toBe(step.panicTimeMs === null ? null : T0 + step.panicTimeMs);
    }
  });
}

describe('decide: Knative sequences', () => {
  it.each<{ label: string; s: DeciderSpec; steps: Step[] }>([
    {
      label: 'TestAutoscalerStableModeIncreaseWithConcurrencyDefault',
      s: spec(10, 101),
      steps: [
        { atMs: 0, ready: 1, stable: 50, panic: 10, want: 5, ebc: expectedEBC(10, 101, 10, 1) },
        { atMs: 0, ready: 1, stable: 100, panic: 10, want: 10, ebc: expectedEBC(10, 101, 10, 1) },
      ],
    },
    {
      label: 'TestAutoscalerStableModeIncreaseWithRPS (the decider is metric-agnostic)',
      s: spec(10, 101),
      steps: [
        { atMs: 0, ready: 1, stable: 50, panic: 50, want: 5, ebc: expectedEBC(10, 101, 50, 1) },
        { atMs: 0, ready: 1, stable: 100, panic: 99, want: 10, ebc: expectedEBC(10, 101, 99, 1) },
      ],
    },
    {
      label: 'TestAutoscalerMetricsWithRPS',
      s: spec(10, 100),
      steps: [{ atMs: 61_000, ready: 1, stable: 100, panic: 99, want: 10, ebc: expectedEBC(10, 100, 99, 1) }],
    },
    {
      label: 'TestAutoscalerUnpanicAfterSlowIncrease',
      s: spec(1, 98),
      steps: [
        { atMs: 0, ready: 10, stable: 11, panic: 25, want: 25, ebc: expectedEBC(1, 98, 25, 10), panicTimeMs: 0 },
        // Half the stable window later, +1 pod per cycle: still panicking, panic time not moved.
        { atMs: 30_000, ready: 40, stable: 30, panic: 41, want: 41, ebc: expectedEBC(1, 98, 41, 40), panicTimeMs: 0 },
        // A stable window and a tick after the panic began: panic ends, the stable value rules.
        { atMs: 62_000, ready: 55, stable: 50, panic: 56, want: 50, ebc: expectedEBC(1, 98, 56, 55), panicTimeMs: null },
      ],
    },
    {
      label: 'TestAutoscalerExtendPanicWindow',
      s: spec(1, 98),
      steps: [
        { atMs: 0, ready: 10, stable: 11, panic: 25, want: 25, ebc: expectedEBC(1, 98, 25, 10), panicTimeMs: 0 },
        { atMs: 30_000, ready: 40, stable: 30, panic: 80, want: 80, ebc: expectedEBC(1, 98, 80, 40), panicTimeMs: 30_000 },
      ],
    },
    {
      label: 'TestAutoscalerStableModeDecrease',
      s: spec(10, 98),
      steps: [
        { atMs: 0, ready: 8, stable: 100, panic: 100, want: 10, ebc: expectedEBC(10, 98, 100, 8) },
        { atMs: 0, ready: 8, stable: 50, panic: 50, want: 5, ebc: expectedEBC(10, 98, 50, 8) },
      ],
    },
    {
      label: 'TestAutoscalerStableModeNoTrafficScaleToZero',
      s: spec(10, 75),
      steps: [
        { atMs: 0, ready: 1, stable: 1, panic: 0, want: 1, ebc: expectedEBC(10, 75, 0, 1) },
        { atMs: 0, ready: 1, stable: 0, panic: 0, want: 0, ebc: expectedEBC(10, 75, 0, 1) },
      ],
    },
    {
      label: 'TestAutoscalerActivationScale',
      s: spec(10, 75, { activationScale: 2 }),
      steps: [
        { atMs: 0, ready: 1, stable: 0, panic: 0, want: 0, ebc: expectedEBC(10, 75, 0, 1) },
        { atMs: 0, ready: 1, stable: 1, panic: 0, want: 2, ebc: expectedEBC(10, 75, 0, 1) },
      ],
    },
    {
      label: 'TestAutoscalerPanicModeExponentialTrackAndStabilize',
      s: spec(1, 101),
      steps: [
        { atMs: 0, ready: 1, stable: 6, panic: 6, want: 6, ebc: expectedEBC(1, 101, 6, 1) },
        { atMs: 0, ready: 6, stable: 36, panic: 36, want: 36, ebc: expectedEBC(1, 101, 36, 6), panicTimeMs: 0 },
        { atMs: 1000, ready: 36, stable: 216, panic: 216, want: 216, ebc: expectedEBC(1, 101, 216, 36), panicTimeMs: 1000 },
        { atMs: 1000, ready: 216, stable: 1296, panic: 1296, want: 1296, ebc: expectedEBC(1, 101, 1296, 216), panicTimeMs: 1000 },
        { atMs: 2000, ready: 1296, stable: 1296, panic: 1296, want: 1296, ebc: expectedEBC(1, 101, 1296, 1296) },
      ],
    },
    {
      label: 'TestAutoscalerPanicThenUnPanicScaleDown',
      s: spec(10, 93),
      steps: [
        { atMs: 0, ready: 1, stable: 100, panic: 100, want: 10, ebc: expectedEBC(10, 93, 100, 1) },
        { atMs: 0, ready: 10, stable: 100, panic: 1000, want: 100, ebc: expectedEBC(10, 93, 1000, 10) },
        // Traffic dropped off; still in panic, so the scale stays.
        { atMs: 30_000, ready: 10, stable: 1, panic: 1, want: 100, ebc: expectedEBC(10, 93, 1, 10) },
        // After the stable window: out of panic, down to 1.
        { atMs: 61_000, ready: 10, stable: 1, panic: 1, want: 1, ebc: expectedEBC(10, 93, 1, 10) },
      ],
    },
    {
      label: 'TestAutoscalerRateLimitScaleUp',
      s: spec(10, 61),
      steps: [
        // Needs 100 pods but may only grow ×10.
        { atMs: 0, ready: 1, stable: 1000, panic: 1001, want: 10, ebc: expectedEBC(10, 61, 1001, 1) },
        { atMs: 0, ready: 10, stable: 1000, panic: 1001, want: 100, ebc: expectedEBC(10, 61, 1001, 10) },
      ],
    },
    {
      label: 'TestAutoscalerRateLimitScaleDown',
      s: spec(10, 61),
      steps: [
        // Needs 1 pod but may only shrink ÷10.
        { atMs: 0, ready: 100, stable: 1, panic: 1, want: 10, ebc: expectedEBC(10, 61, 1, 100) },
        { atMs: 0, ready: 10, stable: 1, panic: 1, want: 1, ebc: expectedEBC(10, 61, 1, 10) },
      ],
    },
    {
      label: 'TestAutoscalerUpdateTarget',
      s: spec(10, 77),
      steps: [
        { atMs: 0, ready: 1, stable: 100, panic: 101, want: 10, ebc: expectedEBC(10, 77, 101, 1) },
        {
          atMs: 0,
          ready: 10,
          stable: 100,
          panic: 101,
          want: 100,
          ebc: expectedEBC(1, 71, 101, 10),
          // Knative's updated spec leaves Reachable unset (false).
          update: spec(1, 71, { reachable: false }),
        },
      ],
    },
  ])('$label', ({ s, steps }) => {
    run(s, steps);
  });
});

describe('decide: scale-down delay (TestAutoscalerScaleDownDelay*)', () => {
  // Knative's fixture here: target 10, rates 10, panic threshold 100 (never panics), delay 5 min, no ready pods.
  const delayed = spec(10, 0, { panicThreshold: 100, scaleDownDelayMs: 5 * 60_000 });
  // Bucket-aligned start: Knative starts at the zero time, whose Unix seconds are a multiple of 2.
  const start = Math.floor(T0 / DELAY_WINDOW_GRANULARITY_MS) * DELAY_WINDOW_GRANULARITY_MS;
  const min = 60_000;

  it('simple, then gradual (one decider across both subtests, as in Knative)', () => {
    let state = initialDeciderState(delayed, 0, start);
    const step = (atMs: number, load: number, want: number): void => {
      const d = decide(delayed, state, { nowMs: start + atMs, readyPods: 0, stable: load, panic: load });
      state = d.state;
      expect(d.result.desiredPodCount, `at ${atMs} ms`).toBe(want);
    };
    // simple: up to 4; 5 minutes at 0 keep 4 (less than the delay); 2 s more and it drops.
    step(2000, 40, 4);
    step(5 * min, 0, 4);
    step(5 * min + 2000, 0, 0);
    // gradual
    step(9 * min, 40, 4);
    step(10 * min, 30, 4); // 4 still dominates
    step(11 * min, 0, 4);
    step(14 * min, 0, 3); // 4 scrolls out, 3 remains
    step(15 * min, 0, 0); // everything scrolled out
  });

  it('NotReachable: an unreachable revision scales down at once', () => {
    let state = initialDeciderState(delayed, 0, start);
    let d = decide(delayed, state, { nowMs: start + 2000, readyPods: 0, stable: 40, panic: 40 });
    expect(d.result.desiredPodCount).toBe(4);
    state = d.state;
    d = decide(delayed, state, { nowMs: start + min, readyPods: 0, stable: 0, panic: 0 });
    expect(d.result.desiredPodCount).toBe(4);
    state = d.state;
    d = decide({ ...delayed, reachable: false }, state, { nowMs: start + 2000, readyPods: 0, stable: 0, panic: 0 });
    expect(d.result.desiredPodCount).toBe(0);
  });

  it('Zero: without a delay, the scale drops within the same bucket', () => {
    const s = { ...delayed, scaleDownDelayMs: 0, reachable: false };
    let state = initialDeciderState(s, 0, start);
    let d = decide(s, state, { nowMs: start, readyPods: 0, stable: 40, panic: 40 });
    expect(d.result.desiredPodCount).toBe(4);
    state = d.state;
    d = decide(s, state, { nowMs: start + 500, readyPods: 0, stable: 20, panic: 20 });
    expect(d.result.desiredPodCount).toBe(2);
  });
});

describe('initialDeciderState (TestStartInPanicMode)', () => {
  const s = { ...spec(100, 11), totalValue: 120, panicThreshold: 220 };

  it.each([
    { ready: 0, panicking: false, maxPanicPods: 0 },
    { ready: 1, panicking: false, maxPanicPods: 1 },
    { ready: 2, panicking: true, maxPanicPods: 2 },
  ])('created with $ready ready pods: panicking=$panicking, maxPanicPods=$maxPanicPods', ({ ready, panicking, maxPanicPods }) => {
    const state = initialDeciderState(s, ready, T0);
    expect(state.panicTimeMs !== null).toBe(panicking);
    expect(state.maxPanicPods).toBe(maxPanicPods);
  });

  it('an autoscaler restarted with pods holds the scale until a stable window has passed (no knee-jerk scale-down)', () => {
    const s2 = spec(10, 100);
    let state = initialDeciderState(s2, 5, T0);
    let d = decide(s2, state, { nowMs: T0 + 2000, readyPods: 5, stable: 0, panic: 0 });
    expect(d.result.desiredPodCount).toBe(5);
    state = d.state;
    d = decide(s2, state, { nowMs: T0 + 60_001, readyPods: 5, stable: 0, panic: 0 });
    expect(d.result.desiredPodCount).toBe(0);
  });
});

describe('initialExcessBurstCapacity (multiscaler.go createScaler)', () => {
  it.each([
    { tbc: -1, initialScale: 1, totalValue: 100, want: -1 },
    { tbc: 0, initialScale: 1, totalValue: 100, want: 0 },
    { tbc: 211, initialScale: 1, totalValue: 100, want: -111 },
    { tbc: 211, initialScale: 3, totalValue: 100, want: 89 },
  ])('TBC $tbc, initial scale $initialScale, total $totalValue → $want', ({ tbc, initialScale, totalValue, want }) => {
    expect(initialExcessBurstCapacity({ ...spec(70, tbc), totalValue }, initialScale)).toBe(want);
  });
});

describe('decide: formulas beyond Knative’s tests', () => {
  it('panic is judged on the ceil’d pod count: 1.01 pods of load on 1 pod → 2 pods ≥ 2×1 → panic', () => {
    const s = spec(10, 0);
    const d = decide(s, fresh(s), { nowMs: T0, readyPods: 1, stable: 0, panic: 10.1 });
    expect(d.state.panicTimeMs).toBe(T0);
    expect(d.result.desiredPodCount).toBe(2);
  });

  it('activation scale is not applied without load, and is applied after the rate limits', () => {
    const s = spec(10, 0, { activationScale: 3, maxScaleUpRate: 1.5 });
    expect(decide(s, fresh(s), { nowMs: T0, readyPods: 0, stable: 0, panic: 0 }).result.desiredPodCount).toBe(0);
    // ceil(1.5 × 1) = 2 allowed by the rate, raised to 3 by activation scale.
    expect(decide(s, fresh(s), { nowMs: T0, readyPods: 0, stable: 0.5, panic: 0 }).result.desiredPodCount).toBe(3);
  });

  it('panic ends only strictly after panicTime + stable window', () => {
    const s = spec(10, 0);
    const panicking: DeciderState = { panicTimeMs: T0, maxPanicPods: 7, delayWindow: null };
    const at = (ms: number): number =>
      decide(s, panicking, { nowMs: T0 + ms, readyPods: 7, stable: 10, panic: 10 }).result.desiredPodCount;
    expect(at(STABLE_WINDOW_MS)).toBe(7);
    expect(at(STABLE_WINDOW_MS + 1)).toBe(1);
  });
});
