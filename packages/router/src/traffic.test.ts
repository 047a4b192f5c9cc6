import { describe, expect, it } from 'vitest';
import { TrafficValidationError } from './errors.js';
import { formatFieldIssues } from './field-error.js';
import { assertValidTraffic, defaultTraffic, validateTraffic, type TrafficContext, type TrafficTarget } from './traffic.js';

const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic " +
  "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is " +
  "'[a-z]([-a-z0-9]*[a-z0-9])?')";

const SERVICE: TrafficContext = { serviceName: 'hello' };

// Expected texts are Knative's: from knative/serving pkg/apis/serving/v1/route_validation_test.go where it has the
// case, otherwise derived from route_validation.go and knative/pkg apis/field_error.go.
describe('validateTraffic: Knative messages', () => {
  it.each<{ name: string; traffic: TrafficTarget[]; ctx?: TrafficContext; want: string }>([
    {
      name: 'valid split (route)',
      traffic: [
        { tag: 'prod', revisionName: 'foo', percent: 90 },
        { tag: 'experiment', configurationName: 'bar', percent: 10 },
      ],
      want: '',
    },
    { name: 'valid @latest (service)', traffic: [{ latestRevision: true, percent: 100 }], ctx: SERVICE, want: '' },
    { name: 'service without traffic defaults to 100 % latest', traffic: [], ctx: SERVICE, want: '' },
    { name: 'route without traffic', traffic: [], want: 'Traffic targets sum to 0, want 100: spec.traffic' },
    { name: 'sum below 100', traffic: [{ revisionName: 'foo', percent: 90 }], want: 'Traffic targets sum to 90, want 100: spec.traffic' },
    {
      name: 'missing percent counts as 0',
      traffic: [{ revisionName: 'foo', percent: 100 }, { revisionName: 'bar' }],
      want: '',
    },
    {
      name: 'percent too high (and so the sum)',
      traffic: [{ revisionName: 'foo', percent: 101 }],
      want: 'Traffic targets sum to 101, want 100: spec.traffic\nexpected 0 <= 101 <= 100: spec.traffic[0].percent',
    },
    {
      name: 'percents out of range on both sides, sorted by message',
      traffic: [
        { revisionName: 'foo', percent: 105 },
        { revisionName: 'bar', percent: -5 },
      ],
      want: 'expected 0 <= -5 <= 100: spec.traffic[1].percent\nexpected 0 <= 105 <= 100: spec.traffic[0].percent',
    },
    {
      name: 'fractional percent (not representable in Knative)',
      traffic: [
        { revisionName: 'foo', percent: 50.5 },
        { revisionName: 'bar', percent: 49.5 },
      ],
      want: 'invalid value: 49.5: spec.traffic[1].percent\ninvalid value: 50.5: spec.traffic[0].percent',
    },
    {
      name: 'latestRevision true with a revisionName',
      traffic: [{ revisionName: 'bar', latestRevision: true, percent: 100 }],
      want: 'may not set revisionName "bar" when latestRevision is true: spec.traffic[0].latestRevision',
    },
    {
      name: 'latestRevision false without a revisionName (service)',
      traffic: [{ latestRevision: false, percent: 100 }],
      ctx: SERVICE,
      want: 'may not set revisionName "" when latestRevision is false: spec.traffic[0].latestRevision',
    },
    {
      name: 'neither revision nor configuration (route)',
      traffic: [{ tag: 'foo', percent: 100 }],
      want: 'expected exactly one, got neither: spec.traffic[0].configurationName, spec.traffic[0].revisionName',
    },
    {
      name: 'both revision and configuration (route)',
      traffic: [{ revisionName: 'foo', configurationName: 'bar', percent: 100 }],
      want: 'expected exactly one, got both: spec.traffic[0].configurationName, spec.traffic[0].revisionName',
    },
    {
      name: 'configurationName inside a service',
      traffic: [{ configurationName: 'blah', percent: 100 }],
      ctx: SERVICE,
      want: 'must not set the field(s): spec.traffic[0].configurationName',
    },
    {
      name: 'url in spec',
      traffic: [{ configurationName: 'foo', percent: 100, url: 'http://should.not.be.set' }],
      want: 'must not set the field(s): spec.traffic[0].url',
    },
    {
      name: 'invalid tag: Knative reports it at spec.traffic.tag[i]',
      traffic: [{ tag: 'foo@', revisionName: 'bar', percent: 100 }],
      want: `invalid value: not a DNS 1035 label: [${DNS1035}]: spec.traffic.tag[0]`,
    },
    {
      name: 'tag starting with a digit',
      traffic: [{ tag: '1st', revisionName: 'bar', percent: 100 }],
      want: `invalid value: not a DNS 1035 label: [${DNS1035}]: spec.traffic.tag[0]`,
    },
    {
      name: 'tag too long',
      traffic: [{ tag: 'a'.repeat(64), revisionName: 'bar', percent: 100 }],
      want: 'invalid value: not a DNS 1035 label: [must be no more than 63 characters]: spec.traffic.tag[0]',
    },
    {
      name: 'tag too long and invalid: both reasons in one list',
      traffic: [{ tag: `${'a'.repeat(63)}-`, revisionName: 'bar', percent: 100 }],
      want: `invalid value: not a DNS 1035 label: [must be no more than 63 characters ${DNS1035}]: spec.traffic.tag[0]`,
    },
    {
      name: 'duplicate tag, three times: one message, all paths',
      traffic: [
        { tag: 'foo', revisionName: 'a', percent: 50 },
        { tag: 'foo', revisionName: 'b', percent: 50 },
        { tag: 'foo', revisionName: 'c', percent: 0 },
      ],
      want: 'Multiple definitions for "foo": spec.traffic[0].tag, spec.traffic[1].tag, spec.traffic[2].tag',
    },
    {
      name: 'invalid revisionName: details on the next line',
      traffic: [{ revisionName: 'bad_', percent: 100 }],
      want:
        'invalid key name "bad_": spec.traffic[0].revisionName\n' +
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    },
    {
      name: 'several problems at once, ordered as Knative prints them',
      traffic: [
        { tag: 'x', revisionName: 'foo', percent: 150 },
        { tag: 'x', percent: 10, latestRevision: true },
      ],
      want:
        'Multiple definitions for "x": spec.traffic[0].tag, spec.traffic[1].tag\n' +
        'Traffic targets sum to 160, want 100: spec.traffic\n' +
        'expected 0 <= 150 <= 100: spec.traffic[0].percent\n' +
        'expected exactly one, got neither: spec.traffic[1].configurationName, spec.traffic[1].revisionName',
    },
  ])('$name', ({ traffic, ctx, want }) => {
    expect(formatFieldIssues(validateTraffic(traffic, ctx))).toBe(want);
  });
});

describe('assertValidTraffic', () => {
  it('throws TrafficValidationError with the Knative text and the issues', () => {
    let caught: unknown;
    try {
      assertValidTraffic([{ revisionName: 'foo', percent: 90 }]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TrafficValidationError);
    const err = caught as TrafficValidationError;
    expect(err.message).toBe('Traffic targets sum to 90, want 100: spec.traffic');
    expect(err.code).toBe('KDP_ERR_CONFIG');
    expect(err.status).toBe(400);
    expect(err.issues).toEqual([{ message: 'Traffic targets sum to 90, want 100', paths: ['spec.traffic'] }]);
  });

  it('passes a valid spec', () => {
    expect(() => assertValidTraffic([{ revisionName: 'a', percent: 100 }])).not.toThrow();
  });
});

describe('defaultTraffic', () => {
  it.each<{ name: string; traffic: TrafficTarget[]; ctx?: TrafficContext; want: ReturnType<typeof defaultTraffic> }>([
    {
      name: 'service without traffic: 100 % to its own configuration',
      traffic: [],
      ctx: SERVICE,
      want: [{ tag: '', revisionName: '', configurationName: 'hello', latestRevision: true, percent: 100 }],
    },
    {
      name: 'latestRevision follows revisionName; percent defaults to 0',
      traffic: [{ revisionName: 'hello-1', tag: 'old' }, { percent: 100 }],
      ctx: SERVICE,
      want: [
        { tag: 'old', revisionName: 'hello-1', configurationName: '', latestRevision: false, percent: 0 },
        { tag: '', revisionName: '', configurationName: 'hello', latestRevision: true, percent: 100 },
      ],
    },
    {
      name: 'route: configurationName kept',
      traffic: [{ configurationName: 'c', percent: 100 }],
      want: [{ tag: '', revisionName: '', configurationName: 'c', latestRevision: true, percent: 100 }],
    },
  ])('$name', ({ traffic, ctx, want }) => {
    expect(defaultTraffic(traffic, ctx)).toEqual(want);
  });
});
