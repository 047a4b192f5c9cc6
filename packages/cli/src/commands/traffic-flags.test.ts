import { describe, expect, it } from 'vitest';
import { CliError, UsageError } from '../args.js';
import type { TrafficTarget } from '../objects/types.js';
import { computeTraffic, type TrafficFlagValues } from './traffic-flags.js';

const latest100: TrafficTarget[] = [{ latestRevision: true, percent: 100 }];

// Cases follow kn's pkg/kn/commands/traffic/compute_test.go.
describe('computeTraffic', () => {
  it.each<[string, TrafficTarget[], TrafficFlagValues, TrafficTarget[]]>([
    [
      'splits between a revision and @latest',
      latest100,
      { traffic: ['hello-world=50', '@latest=50'] },
      [
        { latestRevision: true, percent: 50 },
        { revisionName: 'hello-world', latestRevision: false, percent: 50 },
      ],
    ],
    [
      'drops untagged 0% targets',
      [
        { latestRevision: true, percent: 50 },
        { revisionName: 'hello-world', latestRevision: false, percent: 50 },
      ],
      { traffic: ['@latest=100'] },
      [{ latestRevision: true, percent: 100 }],
    ],
    [
      'tags an untagged target of the revision',
      [
        { latestRevision: true, percent: 50 },
        { revisionName: 'hello-world', latestRevision: false, percent: 50 },
      ],
      { tag: ['hello-world=old'] },
      [
        { latestRevision: true, percent: 50 },
        { revisionName: 'hello-world', latestRevision: false, percent: 50, tag: 'old' },
      ],
    ],
    [
      'adds a 0% target for a revision not in the traffic',
      latest100,
      { tag: ['hello-world=old'] },
      [
        { latestRevision: true, percent: 100 },
        { tag: 'old', revisionName: 'hello-world', latestRevision: false, percent: 0 },
      ],
    ],
    [
      'tags @latest',
      latest100,
      { tag: ['@latest=current'] },
      [{ latestRevision: true, percent: 100, tag: 'current' }],
    ],
    [
      'sets traffic by tag and keeps tagged 0% targets',
      [
        { latestRevision: true, percent: 100 },
        { tag: 'old', revisionName: 'hello-world', latestRevision: false, percent: 0 },
      ],
      { traffic: ['old=10', '@latest=90'] },
      [
        { latestRevision: true, percent: 90 },
        { tag: 'old', revisionName: 'hello-world', latestRevision: false, percent: 10 },
      ],
    ],
    [
      'untag removes the tag, and the target if it had no share',
      [
        { latestRevision: true, percent: 100, tag: 'current' },
        { tag: 'old', revisionName: 'hello-world', latestRevision: false, percent: 0 },
      ],
      { untag: ['old', 'current'] },
      [{ latestRevision: true, percent: 100 }],
    ],
    [
      'ignores status URLs',
      [{ latestRevision: true, percent: 100, tag: 'x', url: 'http://x-hello.default.localhost' }],
      {},
      [{ latestRevision: true, percent: 100, tag: 'x' }],
    ],
  ])('%s', (_name, current, flags, want) => {
    expect(computeTraffic(current, flags, 'service update')).toEqual(want);
  });

  it('leaves the sum to the server (Knative message)', () => {
    expect(computeTraffic(latest100, { traffic: ['@latest=90'] }, 'c')).toEqual([{ latestRevision: true, percent: 90 }]);
  });

  it.each<[TrafficFlagValues, new (...args: never[]) => CliError, string]>([
    [{ traffic: ['a=50', 'a=50'] }, UsageError, 'a is given more than once'],
    [{ traffic: ['a=half'] }, UsageError, 'expected an integer percent'],
    [{ traffic: ['a'] }, UsageError, 'expected REVISION=PERCENT'],
    [{ untag: ['nope'] }, CliError, "no traffic target has the tag 'nope'"],
  ])('refuses %j', (flags, type, message) => {
    expect(() => computeTraffic(latest100, flags, 'c')).toThrow(type);
    expect(() => computeTraffic(latest100, flags, 'c')).toThrow(message);
  });
});
