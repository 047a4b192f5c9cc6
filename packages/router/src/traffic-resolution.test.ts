import { describe, expect, it } from 'vitest';
import {
  resolveTraffic,
  settleRoute,
  type ConfigurationState,
  type ResolvedTraffic,
  type RevisionState,
  type TrafficResolution,
  type TrafficSources,
} from './traffic-resolution.js';
import type { TrafficContext, TrafficTarget } from './traffic.js';

const rev = (ready: RevisionState['ready'], service = 'hello', configuration = 'hello'): RevisionState => ({
  ready,
  serviceName: service,
  configurationName: configuration,
});

function sources(
  revisions: Record<string, RevisionState>,
  configurations: Record<string, ConfigurationState> = { hello: { ready: 'True', latestReadyRevisionName: 'hello-2' } },
): TrafficSources {
  return { revisions: new Map(Object.entries(revisions)), configurations: new Map(Object.entries(configurations)) };
}

const WORLD = sources({ 'hello-1': rev('True'), 'hello-2': rev('True') });
const SERVICE: TrafficContext = { serviceName: 'hello' };

function assigned(r: TrafficResolution): ResolvedTraffic {
  if (r.kind !== 'assigned') throw new Error(`blocked: ${r.problem.message}`);
  return r.traffic;
}

describe('resolveTraffic: targets, split and tags', () => {
  it.each<{ name: string; traffic: TrafficTarget[]; want: ResolvedTraffic }>([
    {
      name: 'service without traffic: 100 % to the latest ready revision',
      traffic: [],
      want: {
        targets: [{ revisionName: 'hello-2', percent: 100, latest: true }],
        split: [{ revisionName: 'hello-2', percent: 100 }],
        tags: [],
      },
    },
    {
      name: '@latest 90 % plus a pinned, tagged 10 %',
      traffic: [
        { latestRevision: true, percent: 90 },
        { revisionName: 'hello-1', percent: 10, tag: 'old' },
      ],
      want: {
        targets: [
          { revisionName: 'hello-2', percent: 90, latest: true },
          { revisionName: 'hello-1', percent: 10, tag: 'old', latest: false },
        ],
        split: [
          { revisionName: 'hello-2', percent: 90 },
          { revisionName: 'hello-1', percent: 10 },
        ],
        tags: [{ tag: 'old', revisionName: 'hello-1' }],
      },
    },
    {
      name: 'a 0 % tagged target gets its tag host but no share of the default host',
      traffic: [{ percent: 100 }, { revisionName: 'hello-1', percent: 0, tag: 'candidate' }],
      want: {
        targets: [
          { revisionName: 'hello-2', percent: 100, latest: true },
          { revisionName: 'hello-1', percent: 0, tag: 'candidate', latest: false },
        ],
        split: [{ revisionName: 'hello-2', percent: 100 }],
        tags: [{ tag: 'candidate', revisionName: 'hello-1' }],
      },
    },
    {
      name: '@latest and the same revision pinned: one revision, so 100 % (Knative consolidate)',
      traffic: [
        { percent: 50 },
        { revisionName: 'hello-2', percent: 50, tag: 'pinned' },
      ],
      want: {
        targets: [
          { revisionName: 'hello-2', percent: 50, latest: true },
          { revisionName: 'hello-2', percent: 50, tag: 'pinned', latest: false },
        ],
        split: [{ revisionName: 'hello-2', percent: 100 }],
        tags: [{ tag: 'pinned', revisionName: 'hello-2' }],
      },
    },
    {
      name: 'the same revision twice, untagged: merged in status and in the split',
      traffic: [
        { revisionName: 'hello-1', percent: 30 },
        { revisionName: 'hello-2', percent: 40 },
        { revisionName: 'hello-1', percent: 30 },
      ],
      want: {
        targets: [
          { revisionName: 'hello-1', percent: 60, latest: false },
          { revisionName: 'hello-2', percent: 40, latest: false },
        ],
        split: [
          { revisionName: 'hello-1', percent: 60 },
          { revisionName: 'hello-2', percent: 40 },
        ],
        tags: [],
      },
    },
  ])('$name', ({ traffic, want }) => {
    expect(assigned(resolveTraffic(traffic, WORLD, SERVICE))).toEqual(want);
  });

  it('a standalone route follows a named configuration', () => {
    const r = resolveTraffic([{ configurationName: 'hello', percent: 100 }], WORLD);
    expect(assigned(r).split).toEqual([{ revisionName: 'hello-2', percent: 100 }]);
  });
});

describe('resolveTraffic: targets that cannot take traffic (Knative Route conditions)', () => {
  it.each<{
    name: string;
    traffic: TrafficTarget[];
    world: TrafficSources;
    ctx?: TrafficContext;
    status: 'False' | 'Unknown';
    reason: string;
    message: string;
    missing?: { kind: 'Revision' | 'Configuration'; name: string }[];
  }>([
    {
      name: 'unknown revision',
      traffic: [{ revisionName: 'nope', percent: 100 }],
      world: WORLD,
      ctx: SERVICE,
      status: 'False',
      reason: 'RevisionMissing',
      message: 'Revision "nope" referenced in traffic not found.',
      missing: [{ kind: 'Revision', name: 'nope' }],
    },
    {
      name: 'unknown configuration (standalone route)',
      traffic: [{ configurationName: 'nope', percent: 100 }],
      world: WORLD,
      status: 'False',
      reason: 'ConfigurationMissing',
      message: 'Configuration "nope" referenced in traffic not found.',
      missing: [{ kind: 'Configuration', name: 'nope' }],
    },
    {
      name: 'revision still becoming ready',
      traffic: [{ revisionName: 'hello-3', percent: 100 }],
      world: sources({ 'hello-3': rev('Unknown') }),
      ctx: SERVICE,
      status: 'Unknown',
      reason: 'RevisionMissing',
      message: 'Revision "hello-3" is not yet ready.',
    },
    {
      name: 'revision failed',
      traffic: [{ revisionName: 'hello-3', percent: 100 }],
      world: sources({ 'hello-3': rev('False') }),
      ctx: SERVICE,
      status: 'False',
      reason: 'RevisionMissing',
      message: 'Revision "hello-3" failed to become ready.',
    },
    {
      name: '@latest while the configuration has no ready revision yet',
      traffic: [],
      world: sources({}, { hello: { ready: 'Unknown' } }),
      ctx: SERVICE,
      status: 'Unknown',
      reason: 'RevisionMissing',
      message: 'Configuration "hello" is waiting for a Revision to become ready.',
    },
    {
      name: '@latest when the configuration failed',
      traffic: [],
      world: sources({}, { hello: { ready: 'False' } }),
      ctx: SERVICE,
      status: 'False',
      reason: 'RevisionMissing',
      message: 'Configuration "hello" does not have any ready Revision.',
    },
    {
      name: '@latest pointing at a revision that is no longer ready',
      traffic: [],
      world: sources({ 'hello-2': rev('Unknown') }),
      ctx: SERVICE,
      status: 'Unknown',
      reason: 'RevisionMissing',
      message: 'Revision "hello-2" is not yet ready.',
    },
    {
      name: "another Service's revision",
      traffic: [{ revisionName: 'other-1', percent: 100 }],
      world: sources({ 'other-1': rev('True', 'other', 'other') }, { other: { ready: 'True' } }),
      ctx: SERVICE,
      status: 'False',
      reason: 'RevisionNotOwned',
      message: 'Revision "other-1" belongs to Service "other", not Service "hello".',
    },
    {
      name: 'a revision of no Service',
      traffic: [{ revisionName: 'lone-1', percent: 100 }],
      world: sources({ 'lone-1': { ready: 'True' } }),
      ctx: SERVICE,
      status: 'False',
      reason: 'RevisionNotOwned',
      message: 'Revision "lone-1" does not belong to Service "hello".',
    },
    {
      name: 'a not-ready target before a missing one: the failure wins',
      traffic: [
        { revisionName: 'hello-3', percent: 50 },
        { revisionName: 'nope', percent: 50 },
      ],
      world: sources({ 'hello-3': rev('Unknown') }),
      ctx: SERVICE,
      status: 'False',
      reason: 'RevisionMissing',
      message: 'Revision "nope" referenced in traffic not found.',
      missing: [{ kind: 'Revision', name: 'nope' }],
    },
    {
      name: 'two not-ready targets: the first is reported',
      traffic: [
        { revisionName: 'hello-3', percent: 50 },
        { revisionName: 'hello-4', percent: 50 },
      ],
      world: sources({ 'hello-3': rev('Unknown'), 'hello-4': rev('Unknown') }),
      ctx: SERVICE,
      status: 'Unknown',
      reason: 'RevisionMissing',
      message: 'Revision "hello-3" is not yet ready.',
    },
    {
      name: 'two missing targets: the last failure is reported, both are listed',
      traffic: [
        { revisionName: 'a', percent: 50 },
        { revisionName: 'b', percent: 50 },
      ],
      world: WORLD,
      ctx: SERVICE,
      status: 'False',
      reason: 'RevisionMissing',
      message: 'Revision "b" referenced in traffic not found.',
      missing: [
        { kind: 'Revision', name: 'a' },
        { kind: 'Revision', name: 'b' },
      ],
    },
  ])('$name', ({ traffic, world, ctx, status, reason, message, missing }) => {
    const r = resolveTraffic(traffic, world, ctx);
    expect(r).toEqual({ kind: 'blocked', problem: { status, reason, message }, missing: missing ?? [] });
  });
});

describe('settleRoute', () => {
  const previous = assigned(resolveTraffic([{ revisionName: 'hello-1', percent: 100 }], WORLD, SERVICE));

  it('assigned: serves the new traffic, Ready', () => {
    const next = resolveTraffic([{ percent: 100 }], WORLD, SERVICE);
    const settled = settleRoute(previous, next);
    expect(settled.serving).toBe(assigned(next));
    expect(settled.conditions).toEqual([
      { type: 'AllTrafficAssigned', status: 'True' },
      { type: 'Ready', status: 'True' },
    ]);
  });

  it('blocked: keeps serving the previous split, Ready follows AllTrafficAssigned', () => {
    const blocked = resolveTraffic([{ revisionName: 'hello-3', percent: 100 }], sources({ 'hello-3': rev('Unknown') }), SERVICE);
    const settled = settleRoute(previous, blocked);
    expect(settled.serving).toBe(previous);
    const condition = { status: 'Unknown', reason: 'RevisionMissing', message: 'Revision "hello-3" is not yet ready.' };
    expect(settled.conditions).toEqual([
      { type: 'AllTrafficAssigned', ...condition },
      { type: 'Ready', ...condition },
    ]);
  });

  it('blocked on a route that never served: nothing to serve', () => {
    const blocked = resolveTraffic([{ revisionName: 'nope', percent: 100 }], WORLD, SERVICE);
    expect(settleRoute(undefined, blocked).serving).toBeUndefined();
  });
});
