// The KPA reconciler's decisions (serving: pkg/reconciler/autoscaling/kpa/kpa.go, scaler.go), one reconcile each.
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUTOSCALER_CONFIG } from './config.js';
import {
  SCALE_UNKNOWN,
  initialPodAutoscalerState,
  reconcilePodAutoscaler,
  type PodAutoscalerState,
} from './pa-reconciler.js';
import { resolveRevisionSettings, type RevisionSettings } from './settings.js';

const K = 'autoscaling.knative.dev/';
const T = 1_000_000;
const SEC = 1000;

function settings(annotations: Record<string, string> = {}, over: Partial<RevisionSettings> = {}): RevisionSettings {
  return { ...resolveRevisionSettings({ annotations }, DEFAULT_AUTOSCALER_CONFIG), ...over };
}

function state(over: Partial<PodAutoscalerState>): PodAutoscalerState {
  return {
    activity: 'active',
    activitySinceMs: T - 120 * SEC,
    scaleTargetInitialized: true,
    replicas: 1,
    activatorInPathSinceMs: null,
    ...over,
  };
}

interface Case {
  readonly name: string;
  readonly s: RevisionSettings;
  readonly st: PodAutoscalerState;
  readonly desired: number;
  readonly ebc?: number;
  readonly ready: number;
  readonly want: number;
  readonly replicas: number;
  readonly inPath: boolean;
  readonly activity: PodAutoscalerState['activity'];
}

describe('reconcilePodAutoscaler', () => {
  it.each<Case>([
    // Creation and initial scale.
    { name: 'new revision, no metrics yet: keeps its initial scale, activator in path', s: settings(), st: initialPodAutoscalerState(settings(), T), desired: SCALE_UNKNOWN, ready: 0, want: SCALE_UNKNOWN, replicas: 1, inPath: true, activity: 'activating' },
    { name: 'new revision with min-scale 3: scaled to 3 at once', s: settings({ [`${K}min-scale`]: '3' }), st: initialPodAutoscalerState(settings({ [`${K}min-scale`]: '3' }), T), desired: SCALE_UNKNOWN, ready: 0, want: 3, replicas: 3, inPath: true, activity: 'activating' },
    { name: 'initial-scale 3 acts as a minimum until first reached', s: settings({ [`${K}initial-scale`]: '3' }), st: { ...initialPodAutoscalerState(settings({ [`${K}initial-scale`]: '3' }), T) }, desired: 1, ready: 2, want: 3, replicas: 3, inPath: true, activity: 'activating' },
    { name: 'initial-scale no longer applies once reached', s: settings({ [`${K}initial-scale`]: '3' }), st: state({ replicas: 3 }), desired: 1, ebc: 5, ready: 3, want: 1, replicas: 1, inPath: false, activity: 'active' },
    { name: 'pods ready: activating → active', s: settings(), st: initialPodAutoscalerState(settings(), T), desired: SCALE_UNKNOWN, ready: 1, want: SCALE_UNKNOWN, replicas: 1, inPath: true, activity: 'active' },
    // Bounds.
    { name: 'max-scale caps', s: settings({ [`${K}max-scale`]: '4' }), st: state({}), desired: 10, ebc: 0, ready: 1, want: 4, replicas: 4, inPath: false, activity: 'active' },
    { name: 'min-scale floors (no scale to zero)', s: settings({ [`${K}min-scale`]: '2' }), st: state({ replicas: 2 }), desired: 0, ebc: 0, ready: 2, want: 2, replicas: 2, inPath: false, activity: 'active' },
    // Activator in the path.
    { name: 'EBC ≥ 0 with pods: served directly', s: settings(), st: state({ replicas: 3 }), desired: 3, ebc: 89, ready: 3, want: 3, replicas: 3, inPath: false, activity: 'active' },
    { name: 'EBC < 0: activator stays in the path', s: settings(), st: state({ replicas: 2 }), desired: 2, ebc: -11, ready: 2, want: 2, replicas: 2, inPath: true, activity: 'active' },
    { name: 'no ready pod: activator in the path whatever the EBC', s: settings(), st: state({ replicas: 2 }), desired: 2, ebc: 0, ready: 0, want: 2, replicas: 2, inPath: true, activity: 'activating' },
    { name: 'unknown scale while inactive: proxy', s: settings(), st: state({ activity: 'inactive', replicas: 0 }), desired: SCALE_UNKNOWN, ebc: 0, ready: 0, want: SCALE_UNKNOWN, replicas: 0, inPath: true, activity: 'inactive' },
    // Scale to zero: Active.
    { name: 'desired 0, active for less than the stable window: at most 1 pod', s: settings(), st: state({ activitySinceMs: T - 30 * SEC, replicas: 4 }), desired: 0, ebc: 0, ready: 4, want: 1, replicas: 1, inPath: false, activity: 'active' },
    { name: 'desired 0, active for a stable window: Inactive, pods kept, activator in', s: settings(), st: state({ replicas: 1 }), desired: 0, ebc: 0, ready: 1, want: 0, replicas: 1, inPath: true, activity: 'inactive' },
    // Scale to zero: Inactive.
    { name: 'inactive 10 s, activator in path 10 s: wait for the grace period', s: settings(), st: state({ activity: 'inactive', activitySinceMs: T - 10 * SEC, activatorInPathSinceMs: T - 10 * SEC }), desired: 0, ebc: 0, ready: 1, want: 0, replicas: 1, inPath: true, activity: 'inactive' },
    { name: 'inactive 30 s (grace): scale to zero', s: settings(), st: state({ activity: 'inactive', activitySinceMs: T - 30 * SEC, activatorInPathSinceMs: T - 30 * SEC }), desired: 0, ebc: 0, ready: 1, want: 0, replicas: 0, inPath: true, activity: 'inactive' },
    { name: 'inactive 2 s but activator in path for 5 min: fast path to zero', s: settings(), st: state({ activity: 'inactive', activitySinceMs: T - 2 * SEC, activatorInPathSinceMs: T - 300 * SEC }), desired: 0, ebc: -111, ready: 1, want: 0, replicas: 0, inPath: true, activity: 'inactive' },
    { name: 'kdp grace period 2s: zero after 2 s inactive', s: settings({ 'kdp.dev/scale-to-zero-grace-period': '2s' }), st: state({ activity: 'inactive', activitySinceMs: T - 2 * SEC, activatorInPathSinceMs: T - 2 * SEC }), desired: 0, ebc: 0, ready: 1, want: 0, replicas: 0, inPath: true, activity: 'inactive' },
    { name: 'retention 60 s, inactive 40 s: the last pod stays', s: settings({ [`${K}scale-to-zero-pod-retention-period`]: '1m' }), st: state({ activity: 'inactive', activitySinceMs: T - 40 * SEC, activatorInPathSinceMs: T - 300 * SEC }), desired: 0, ebc: 0, ready: 1, want: 0, replicas: 1, inPath: true, activity: 'inactive' },
    { name: 'retention 60 s, inactive 60 s: zero', s: settings({ [`${K}scale-to-zero-pod-retention-period`]: '1m' }), st: state({ activity: 'inactive', activitySinceMs: T - 60 * SEC, activatorInPathSinceMs: T - 300 * SEC }), desired: 0, ebc: 0, ready: 1, want: 0, replicas: 0, inPath: true, activity: 'inactive' },
    { name: 'enable-scale-to-zero false: 1 instead of 0', s: settings({}, { enableScaleToZero: false }), st: state({ replicas: 3 }), desired: 0, ebc: 0, ready: 3, want: 1, replicas: 1, inPath: false, activity: 'active' },
    // Scale to zero: Activating.
    { name: 'activating 10 min with desired 0: keep waiting', s: settings(), st: state({ activity: 'activating', activitySinceMs: T - 600 * SEC }), desired: 0, ebc: 0, ready: 0, want: SCALE_UNKNOWN, replicas: 1, inPath: true, activity: 'activating' },
    { name: 'activating past progress deadline + 30 s: give up, zero', s: settings(), st: state({ activity: 'activating', activitySinceMs: T - 631 * SEC }), desired: 0, ebc: 0, ready: 0, want: 0, replicas: 0, inPath: true, activity: 'inactive' },
    // Scale from zero.
    { name: 'inactive at zero, desired 1: one pod, activating, activator in path', s: settings(), st: state({ activity: 'inactive', replicas: 0, activatorInPathSinceMs: T - 300 * SEC }), desired: 1, ebc: -111, ready: 0, want: 1, replicas: 1, inPath: true, activity: 'activating' },
  ])('$name', ({ s, st, desired, ebc, ready, want, replicas, inPath, activity }) => {
    const r = reconcilePodAutoscaler(s, st, { nowMs: T, desiredScale: desired, excessBurstCapacity: ebc ?? -111, readyPods: ready });
    expect({ want: r.want, replicas: r.state.replicas, inPath: r.activatorInPath, activity: r.state.activity }).toEqual({
      want,
      replicas,
      inPath,
      activity,
    });
  });

  it('stamps transition times: activity and activator-in-path', () => {
    const s = settings();
    const r = reconcilePodAutoscaler(s, state({}), { nowMs: T, desiredScale: 0, excessBurstCapacity: 0, readyPods: 1 });
    expect(r.state.activitySinceMs).toBe(T);
    expect(r.state.activatorInPathSinceMs).toBe(T);
    const r2 = reconcilePodAutoscaler(s, r.state, { nowMs: T + SEC, desiredScale: 0, excessBurstCapacity: 0, readyPods: 1 });
    expect(r2.state.activitySinceMs).toBe(T);
    expect(r2.state.activatorInPathSinceMs).toBe(T);
  });
});
