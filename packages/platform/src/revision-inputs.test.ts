import { makeRevision } from '@kdp/runtime';
import { describe, expect, it } from 'vitest';
import {
  activatorSpecOf,
  autoscalerInputOf,
  isReachable,
  nextRoutingState,
  routedRevisions,
} from './revision-inputs.js';
import type { RoutingState } from './revision-inputs.js';

const base = { name: 'hello-00001', container: { command: ['app'] } } as const;

describe('activatorSpecOf', () => {
  it('takes containerConcurrency and the timeouts from the Revision spec', () => {
    const rev = makeRevision({ ...base, containerConcurrency: 3, timeoutSeconds: 30, responseStartTimeoutSeconds: 5, idleTimeoutSeconds: 7 });
    expect(activatorSpecOf(rev)).toEqual({
      namespace: 'default',
      name: 'hello-00001',
      containerConcurrency: 3,
      timeoutSeconds: 30,
      responseStartTimeoutSeconds: 5,
      idleTimeoutSeconds: 7,
    });
  });

  it('leaves unset optional timeouts out (the activator treats absent as off)', () => {
    expect(activatorSpecOf(makeRevision(base))).toEqual({
      namespace: 'default',
      name: 'hello-00001',
      containerConcurrency: 0,
      timeoutSeconds: 300,
    });
  });
});

describe('autoscalerInputOf', () => {
  it('passes the annotations through untouched with containerConcurrency and reachability', () => {
    const annotations = { 'autoscaling.knative.dev/window': '6s', 'kdp.dev/scale-to-zero-grace-period': '1s' };
    const rev = makeRevision({ ...base, containerConcurrency: 1, annotations });
    expect(autoscalerInputOf(rev, false)).toEqual({ annotations, containerConcurrency: 1, reachable: false });
  });
});

describe('routedRevisions', () => {
  it('collects split and tag revisions per namespace', () => {
    const got = routedRevisions([
      { namespace: 'a', name: 'x', split: [{ revisionName: 'x-1', percent: 50 }, { revisionName: 'x-2', percent: 50 }], tags: [{ tag: 't', revisionName: 'x-3' }] },
      { namespace: 'b', name: 'x', split: [{ revisionName: 'x-1', percent: 100 }] },
    ]);
    expect([...got].sort()).toEqual(['a/x-1', 'a/x-2', 'a/x-3', 'b/x-1']);
  });
});

describe('routing state (Knative pending / active / reserve)', () => {
  it.each<[RoutingState, boolean, RoutingState, boolean]>([
    ['pending', false, 'pending', true],
    ['pending', true, 'active', true],
    ['active', true, 'active', true],
    ['active', false, 'reserve', false],
    ['reserve', false, 'reserve', false],
    ['reserve', true, 'active', true],
  ])('%s, routed now %s → %s (reachable %s)', (from, routed, to, reachable) => {
    const next = nextRoutingState(from, routed);
    expect(next).toBe(to);
    expect(isReachable(next)).toBe(reachable);
  });
});
