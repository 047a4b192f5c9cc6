// The KPA decision, as a pure function of (spec, state, observation) → (result, state), following serving:
// pkg/autoscaler/scaling/autoscaler.go (`autoscaler.Scale`, `newAutoscaler`) and multiscaler.go (`createScaler`).
import { currentMax, newMaxTimeWindow, recordMax, type MaxTimeWindow } from './max-time-window.js';

/** The decider's inputs that change only with the revision's settings (Knative `DeciderSpec`). */
export interface DeciderSpec {
  readonly maxScaleUpRate: number;
  readonly maxScaleDownRate: number;
  /** Per-pod metric value to aim for (total × utilisation). */
  readonly targetValue: number;
  /** Per-pod capacity, for the excess burst capacity. */
  readonly totalValue: number;
  /** −1: activator always in path; 0: only at zero; > 0: capacity to keep spare. */
  readonly targetBurstCapacity: number;
  /** Panic when desired panic pods / ready pods ≥ this (2 = 200 %). */
  readonly panicThreshold: number;
  /** Panic ends after this long below the threshold. */
  readonly stableWindowMs: number;
  /** 0 = none. */
  readonly scaleDownDelayMs: number;
  /** False when no route points at the revision: scale down without rate limit or delay. */
  readonly reachable: boolean;
  /** Minimum non-zero scale (0 or 1 = not set). */
  readonly activationScale: number;
}

export interface DeciderState {
  /** Start of the current panic (moved forward while still over the threshold); null when not panicking. */
  readonly panicTimeMs: number | null;
  /** Highest count decided during this panic: panic mode never scales down. */
  readonly maxPanicPods: number;
  /** Scale-down-delay window; null when the delay is 0. */
  readonly delayWindow: MaxTimeWindow | null;
}

export interface Observation {
  readonly nowMs: number;
  /** Ready pods right now (may be 0). */
  readonly readyPods: number;
  /** Stable-window average of the scaling metric (revision total, not per pod). */
  readonly stable: number;
  /** Panic-window average of the scaling metric. */
  readonly panic: number;
}

export interface ScaleResult {
  readonly desiredPodCount: number;
  /** Spare capacity beyond the target burst capacity; negative means the activator must stay in the path. */
  readonly excessBurstCapacity: number;
}

export interface Decision {
  readonly result: ScaleResult;
  readonly state: DeciderState;
}

/** Granularity of the scale-down-delay window: the scaling tick (multiscaler.go tickInterval). */
export const DELAY_WINDOW_GRANULARITY_MS = 2000;

/**
 * The state a new decider starts with. With more than one ready pod (an autoscaler restart) it starts in panic mode
 * holding the current scale, so that losing the metric history does not scale the revision down.
 */
export function initialDeciderState(spec: DeciderSpec, readyPods: number, nowMs: number): DeciderState {
  return {
    panicTimeMs: readyPods > 1 ? nowMs : null,
    maxPanicPods: readyPods,
    delayWindow: delayWindowFor(spec),
  };
}

/**
 * Keeps the state in step with a changed spec: a new scale-down delay gets a fresh window, a removed one drops it.
 * (Knative builds the window only when the decider is created; kdp follows later changes too.)
 */
export function adaptDeciderState(state: DeciderState, previous: DeciderSpec, next: DeciderSpec): DeciderState {
  if (previous.scaleDownDelayMs === next.scaleDownDelayMs) return state;
  return {
    ...state,
    delayWindow: delayWindowFor(next),
  };
}

function delayWindowFor(spec: DeciderSpec): MaxTimeWindow | null {
  return spec.scaleDownDelayMs > 0 ? newMaxTimeWindow(spec.scaleDownDelayMs, DELAY_WINDOW_GRANULARITY_MS) : null;
}

/**
 * The excess burst capacity a decider reports before its first decision (multiscaler.go createScaler): with the
 * default TBC of 211 and 100 per pod it is 1 × 100 − 211 = −111, so the activator starts in the path.
 */
export function initialExcessBurstCapacity(spec: DeciderSpec, initialScale: number): number {
  const tbc = spec.targetBurstCapacity;
  if (tbc === -1 || tbc === 0) return tbc;
  return Math.trunc(initialScale * spec.totalValue - tbc);
}

/** One decision (autoscaler.go `Scale`). */
export function decide(spec: DeciderSpec, state: DeciderState, obs: Observation): Decision {
  const { nowMs } = obs;
  // Use 1 when there are no ready pods, so the rate limits still allow growth from zero.
  const readyPods = Math.max(1, obs.readyPods);

  // Rate limits. Ceil/floor so a small rate can still move by one pod (e.g. rate 1.1 on 2 pods → up to 3).
  const maxScaleUp = Math.ceil(spec.maxScaleUpRate * readyPods);
  const maxScaleDown = spec.reachable ? Math.floor(readyPods / spec.maxScaleDownRate) : 0;

  const dspc = Math.ceil(obs.stable / spec.targetValue);
  const dppc = Math.ceil(obs.panic / spec.targetValue);

  let desiredStable = Math.trunc(Math.min(Math.max(dspc, maxScaleDown), maxScaleUp));
  let desiredPanic = Math.trunc(Math.min(Math.max(dppc, maxScaleDown), maxScaleUp));

  // Activation scale applies after the rate limits, and only when there is some load.
  if (spec.activationScale > 1) {
    if (dspc > 0 && spec.activationScale > desiredStable) desiredStable = spec.activationScale;
    if (dppc > 0 && spec.activationScale > desiredPanic) desiredPanic = spec.activationScale;
  }

  // Panic is judged on the ceil'd pod count, not the raw load.
  const overThreshold = dppc / readyPods >= spec.panicThreshold;
  let panicTimeMs = state.panicTimeMs;
  let maxPanicPods = state.maxPanicPods;
  if (panicTimeMs === null && overThreshold) {
    panicTimeMs = nowMs; // begin panicking
  } else if (overThreshold) {
    panicTimeMs = nowMs; // still over: extend the panic
  } else if (panicTimeMs !== null && panicTimeMs + spec.stableWindowMs < nowMs) {
    // The surge has made its way into the stable window.
    panicTimeMs = null;
    maxPanicPods = 0;
  }

  let desired = desiredStable;
  if (panicTimeMs !== null) {
    // Provision for the larger of the two, and never scale down while panicking.
    if (desired < desiredPanic) desired = desiredPanic;
    if (desired > maxPanicPods) maxPanicPods = desired;
    desired = maxPanicPods;
  }

  let delayWindow = state.delayWindow;
  if (spec.reachable && delayWindow !== null) {
    delayWindow = recordMax(delayWindow, nowMs, desired);
    desired = currentMax(delayWindow);
  }

  // EBC = total capacity − target burst capacity − in-flight load, on the panic value so the activator is not moved
  // in and out on every blip. Raw ready pods here (may be 0), unlike the pod counts above.
  let ebc = -1;
  if (spec.targetBurstCapacity === 0) ebc = 0;
  else if (spec.targetBurstCapacity > 0) {
    ebc = Math.floor(obs.readyPods * spec.totalValue - spec.targetBurstCapacity - obs.panic);
  }

  return {
    result: { desiredPodCount: desired, excessBurstCapacity: ebc },
    state: { panicTimeMs, maxPanicPods, delayWindow },
  };
}
