// What Knative's KPA reconciler does with the decider's output, as a pure function: min/max/initial scale, the
// scale-to-zero sequence with its grace and retention periods, whether the activator is in the path, and the
// PodAutoscaler's Active condition. Follows serving: pkg/reconciler/autoscaling/kpa/kpa.go (`ReconcileKind`,
// `computeActiveCondition`, `activeThreshold`) and kpa/scaler.go (`scale`, `handleScaleToZero`, `applyBounds`).
//
// The activator probe of `handleScaleToZero` always succeeds here: kdp's activator is in-process and takes the
// revision's traffic as soon as `activatorInPath` is reported, so "in proxy mode" and "backed by the activator" are
// the same moment.
import type { RevisionSettings } from './settings.js';

/** The PodAutoscaler's Active condition: Unknown, True, False. */
export type Activity = 'activating' | 'active' | 'inactive';

export interface PodAutoscalerState {
  readonly activity: Activity;
  /** When `activity` last changed (the condition's LastTransitionTime). */
  readonly activitySinceMs: number;
  /** Set once the revision first reached its initial scale; initial-scale stops applying afterwards. */
  readonly scaleTargetInitialized: boolean;
  /** The scale last applied (the Deployment's spec.replicas). */
  readonly replicas: number;
  /** Since when the activator has been in the path (SKS Proxy mode); null while pods serve directly. */
  readonly activatorInPathSinceMs: number | null;
}

export interface PodAutoscalerInput {
  readonly nowMs: number;
  /** The decider's latest desired scale; −1 before its first valid decision. */
  readonly desiredScale: number;
  /** The decider's latest excess burst capacity. */
  readonly excessBurstCapacity: number;
  readonly readyPods: number;
}

export interface PodAutoscalerResult {
  readonly state: PodAutoscalerState;
  /** The reconciler's "want": −1 (unknown), 0, or the pods it wants. */
  readonly want: number;
  /** The activator must receive the revision's traffic (no ready pod, or not enough spare capacity). */
  readonly activatorInPath: boolean;
}

/** Scale unknown: the decider has no data yet (kpa/scaler.go scaleUnknown). */
export const SCALE_UNKNOWN = -1;

/**
 * A new revision: Activating, its Deployment created with `initial-scale` replicas (serving: pkg/reconciler/revision/
 * resources/deploy.go), and the activator in the path (the SKS starts in Proxy mode).
 */
export function initialPodAutoscalerState(settings: RevisionSettings, nowMs: number): PodAutoscalerState {
  return {
    activity: 'activating',
    activitySinceMs: nowMs,
    scaleTargetInitialized: false,
    replicas: settings.initialScale,
    activatorInPathSinceMs: nowMs,
  };
}

function applyBounds(min: number, max: number, x: number): number {
  if (x < min) return min;
  if (max !== 0 && x > max) return max;
  return x;
}

/** Pods needed to count as Active (kpa.go activeThreshold). */
function activeThreshold(s: RevisionSettings, initialized: boolean): number {
  return initialized ? Math.max(s.minScale, 1) : Math.max(s.minScale, s.initialScale);
}

/** kpa/scaler.go handleScaleToZero: [scale, apply it?]. */
function handleScaleToZero(
  s: RevisionSettings,
  state: PodAutoscalerState,
  nowMs: number,
  desired: number,
): readonly [number, boolean] {
  if (desired !== 0) return [desired, true];
  if (!s.enableScaleToZero) return [1, true];
  const inStateFor = nowMs - state.activitySinceMs;
  switch (state.activity) {
    case 'activating':
      // Stuck activating past the progress deadline (+30 s): give up and scale to zero.
      if (inStateFor > s.activationTimeoutMs) return [desired, true];
      return [SCALE_UNKNOWN, false];
    case 'active':
      // Active for a whole stable window: keep the pods, but go Inactive (the activator moves into the path).
      if (inStateFor >= s.stableWindowMs) return [desired, false];
      // Otherwise at most one pod for the rest of the window.
      return [1, true];
    case 'inactive': {
      const retention = s.scaleToZeroPodRetentionMs;
      if (inStateFor >= Math.max(s.scaleToZeroGracePeriodMs, retention)) return [desired, true];
      if (retention > 0 && inStateFor < retention) return [desired, false];
      // The activator has been taking the traffic for the grace period: the last pods can go.
      const proxyFor = state.activatorInPathSinceMs === null ? 0 : nowMs - state.activatorInPathSinceMs;
      if (s.scaleToZeroGracePeriodMs - proxyFor <= 0) return [desired, true];
      return [desired, false];
    }
  }
}

/** One reconcile of the PodAutoscaler (kpa.go ReconcileKind with scaler.go scale). */
export function reconcilePodAutoscaler(
  s: RevisionSettings,
  state: PodAutoscalerState,
  input: PodAutoscalerInput,
): PodAutoscalerResult {
  const { nowMs, readyPods } = input;
  let replicas = state.replicas;

  // scaler.go scale
  let want = input.desiredScale;
  if (!(want < 0 && state.activity !== 'activating')) {
    let min = s.minScale;
    // Until the revision first reached its initial scale, initial-scale acts as a minimum.
    if (s.initialScale > 1 && !state.scaleTargetInitialized && s.reachable) min = Math.max(min, s.initialScale);
    const [scale, apply] = handleScaleToZero(s, state, nowMs, applyBounds(min, s.maxScale, want));
    want = scale;
    if (apply) replicas = scale;
  }

  // kpa.go: Serve mode only when pods are wanted and there is spare burst capacity; the SKS reconciler also keeps
  // the activator in the path while no pod is ready.
  let proxy = true;
  if (want === SCALE_UNKNOWN && state.activity === 'inactive') proxy = true;
  else if (want > 0 && input.excessBurstCapacity >= 0) proxy = false;
  const activatorInPath = proxy || readyPods === 0;
  const activatorInPathSinceMs = activatorInPath ? (state.activatorInPathSinceMs ?? nowMs) : null;

  // kpa.go computeActiveCondition
  const minReady = activeThreshold(s, state.scaleTargetInitialized);
  const scaleTargetInitialized = state.scaleTargetInitialized || readyPods >= minReady;
  let activity = state.activity;
  if (want === 0 || minReady === 0) activity = 'inactive';
  else if (readyPods < minReady) activity = want > 0 || state.activity !== 'inactive' ? 'activating' : 'inactive';
  else if (want > 0 || state.activity !== 'inactive') activity = 'active';

  return {
    state: {
      activity,
      activitySinceMs: activity === state.activity ? state.activitySinceMs : nowMs,
      scaleTargetInitialized,
      replicas,
      activatorInPathSinceMs,
    },
    want,
    activatorInPath,
  };
}
