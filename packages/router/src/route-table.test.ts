import { describe, expect, it } from 'vitest';
import { RouteTableError } from './errors.js';
import { RouteTable, RouteTableRef, type LookupResult, type RouteInput, type RouteTableInput } from './route-table.js';
import { resolveTraffic, type TrafficSources } from './traffic-resolution.js';

const HELLO: RouteInput = {
  namespace: 'default',
  name: 'hello',
  split: [
    { revisionName: 'hello-2', percent: 90 },
    { revisionName: 'hello-1', percent: 10 },
  ],
  tags: [
    { tag: 'current', revisionName: 'hello-2' },
    { tag: 'old', revisionName: 'hello-1' },
  ],
};
const WORLD: RouteInput = { namespace: 'default', name: 'world', split: [{ revisionName: 'world-1', percent: 100 }] };
const OTHER_NS: RouteInput = { namespace: 'team-a', name: 'hello', split: [{ revisionName: 'hello-9', percent: 100 }] };

function revisionOf(r: LookupResult): string {
  return r.kind === 'match' ? r.revision : `<${r.error}>`;
}

function tally(lookups: () => LookupResult, n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const rev = revisionOf(lookups());
    counts[rev] = (counts[rev] ?? 0) + 1;
  }
  return counts;
}

describe('RouteTable.lookup', () => {
  const table = RouteTable.build({ routes: [HELLO, WORLD, OTHER_NS] });

  it.each<{ host: string; tag?: string; want: Partial<LookupResult> }>([
    { host: 'world.default.localhost', want: { kind: 'match', namespace: 'default', route: 'world', revision: 'world-1', via: 'default' } },
    { host: 'WORLD.Default.localhost:8080', want: { kind: 'match', revision: 'world-1' } },
    { host: 'world.default.localhost.', want: { kind: 'match', revision: 'world-1' } },
    { host: 'hello.team-a.localhost', want: { kind: 'match', namespace: 'team-a', revision: 'hello-9' } },
    { host: 'old-hello.default.localhost:8080', want: { kind: 'match', route: 'hello', revision: 'hello-1', via: 'tag-host', tag: 'old' } },
    { host: 'current-hello.default.localhost', want: { kind: 'match', revision: 'hello-2', via: 'tag-host', tag: 'current' } },
    // The tag header is only read on the route's own host.
    { host: 'old-hello.default.localhost', tag: 'current', want: { kind: 'match', revision: 'hello-1', via: 'tag-host' } },
    { host: 'hello.default.localhost', tag: 'old', want: { kind: 'match', revision: 'hello-1', via: 'tag-header', tag: 'old' } },
    { host: 'world.default.localhost', tag: 'old', want: { kind: 'match', revision: 'world-1', via: 'default' } },
    { host: 'nope.default.localhost', want: { kind: 'miss', error: 'not-found' } },
    { host: 'hello.nope.localhost', want: { kind: 'miss', error: 'not-found' } },
    { host: 'hello.default.example.com', want: { kind: 'miss', error: 'not-found' } },
    { host: 'canary-hello.default.localhost', want: { kind: 'miss', error: 'not-found' } },
    { host: 'localhost', want: { kind: 'miss', error: 'not-found' } },
  ])('$host (tag $tag)', ({ host, tag, want }) => {
    expect(table.lookup(host, tag)).toMatchObject(want);
  });

  it('splits the default host exactly: 90/10 over every 100 requests, 1 in every 10', () => {
    const t = RouteTable.build({ routes: [HELLO] });
    const seq = Array.from({ length: 300 }, () => revisionOf(t.lookup('hello.default.localhost', undefined)));
    for (let a = 0; a + 10 <= seq.length; a++) expect(seq.slice(a, a + 10).filter((r) => r === 'hello-1')).toHaveLength(1);
    expect(tally(() => t.lookup('hello.default.localhost', undefined), 100)).toEqual({ 'hello-2': 90, 'hello-1': 10 });
  });

  it('tag-host and tag-header requests do not advance the split', () => {
    const t = RouteTable.build({ routes: [HELLO] });
    const seq: string[] = [];
    for (let i = 0; i < 100; i++) {
      seq.push(revisionOf(t.lookup('hello.default.localhost', undefined)));
      t.lookup('old-hello.default.localhost', undefined);
      t.lookup('hello.default.localhost', 'old');
    }
    expect(seq.filter((r) => r === 'hello-1')).toHaveLength(10);
  });

  it('returns prebuilt results: no allocation per lookup', () => {
    expect(table.lookup('world.default.localhost', undefined)).toBe(table.lookup('world.default.localhost', undefined));
    expect(table.lookup('old-hello.default.localhost', undefined)).toBe(table.lookup('old-hello.default.localhost', undefined));
    expect(table.lookup('nope.localhost', undefined)).toBe(table.lookup('other.localhost', undefined));
  });
});

describe('Knative-Serving-Tag header', () => {
  it.each<{ name: string; options: Omit<RouteTableInput, 'routes'>; tag: string | undefined; want: string; via?: string }>([
    { name: 'known tag → its revision', options: {}, tag: 'old', want: 'hello-1', via: 'tag-header' },
    { name: 'unknown tag → the default split, as Knative', options: {}, tag: 'nope', want: 'hello-2', via: 'default' },
    { name: 'empty header counts as absent', options: {}, tag: '', want: 'hello-2', via: 'default' },
    { name: 'match is exact (case-sensitive, as Envoy)', options: {}, tag: 'OLD', want: 'hello-2', via: 'default' },
    { name: 'unknown tag, reject mode', options: { unknownTagHeader: 'reject' }, tag: 'nope', want: '<unknown-tag>' },
    { name: 'known tag, reject mode', options: { unknownTagHeader: 'reject' }, tag: 'old', want: 'hello-1', via: 'tag-header' },
    { name: 'routing switched off: ignored', options: { tagHeaderRouting: false }, tag: 'old', want: 'hello-2', via: 'default' },
  ])('$name', ({ options, tag, want, via }) => {
    // 100 % to hello-2 on the default host, so the split does not blur the answer.
    const route: RouteInput = { ...HELLO, split: [{ revisionName: 'hello-2', percent: 100 }] };
    const r = RouteTable.build({ routes: [route], ...options }).lookup('hello.default.localhost', tag);
    expect(revisionOf(r)).toBe(want);
    if (via !== undefined) expect(r).toMatchObject({ via });
  });

  it('is on by default', () => {
    expect(RouteTable.build({ routes: [] }).tagHeaderRouting).toBe(true);
  });
});

describe('hosts: domain and ambiguity', () => {
  it('serves a configured domain', () => {
    const t = RouteTable.build({ routes: [HELLO], domain: 'example.com' });
    expect(revisionOf(t.lookup('old-hello.default.example.com', undefined))).toBe('hello-1');
    expect(revisionOf(t.lookup('old-hello.default.localhost', undefined))).toBe('<not-found>');
    expect(t.route('default', 'hello')).toMatchObject({ host: 'hello.default.example.com' });
  });

  it('a Service named canary-hello owns canary-hello.<ns>, not the tag canary of hello', () => {
    const hello: RouteInput = { ...HELLO, tags: [{ tag: 'canary', revisionName: 'hello-1' }] };
    const canaryHello: RouteInput = { namespace: 'default', name: 'canary-hello', split: [{ revisionName: 'ch-1', percent: 100 }] };
    // Input order must not matter.
    for (const routes of [
      [hello, canaryHello],
      [canaryHello, hello],
    ]) {
      const t = RouteTable.build({ routes });
      expect(t.lookup('canary-hello.default.localhost', undefined)).toMatchObject({ route: 'canary-hello', revision: 'ch-1', via: 'default' });
      expect(t.route('default', 'hello')?.tagHosts.has('canary')).toBe(false);
      expect(t.diagnostics).toEqual([
        'tag "canary" of route default/hello: host "canary-hello.default.localhost" not served: it is taken by route default/canary-hello',
      ]);
      // The tag header still reaches the tag on hello's own host.
      expect(revisionOf(t.lookup('hello.default.localhost', 'canary'))).toBe('hello-1');
    }
  });

  it('two tag hosts that spell the same name: the first route in (namespace, name) order keeps it', () => {
    // c + a-b and c-a + b both give c-a-b.
    const ab: RouteInput = { namespace: 'default', name: 'a-b', split: [{ revisionName: 'ab-1', percent: 100 }], tags: [{ tag: 'c', revisionName: 'ab-1' }] };
    const b: RouteInput = { namespace: 'default', name: 'b', split: [{ revisionName: 'b-1', percent: 100 }], tags: [{ tag: 'c-a', revisionName: 'b-1' }] };
    for (const routes of [
      [ab, b],
      [b, ab],
    ]) {
      const t = RouteTable.build({ routes });
      expect(t.lookup('c-a-b.default.localhost', undefined)).toMatchObject({ route: 'a-b', tag: 'c' });
      expect(t.diagnostics).toEqual([
        'tag "c-a" of route default/b: host "c-a-b.default.localhost" not served: it is taken by tag "c" of route default/a-b',
      ]);
    }
  });

  it('a tag host longer than a DNS label is not served', () => {
    const name = 'a'.repeat(60);
    const t = RouteTable.build({ routes: [{ namespace: 'default', name, split: [{ revisionName: 'r', percent: 100 }], tags: [{ tag: 'canary', revisionName: 'r' }] }] });
    expect(t.route('default', name)?.tagHosts.size).toBe(0);
    expect(t.diagnostics).toHaveLength(1);
    expect(t.diagnostics[0]).toMatch(/^tag "canary" of route default\/a+: not served: invalid domain name .*must be no more than 63 characters$/);
  });
});

describe('swapping tables', () => {
  it('keeps the picker, and so exactness, of routes whose split did not change', () => {
    const ref = new RouteTableRef();
    ref.update({ routes: [HELLO, WORLD] });
    const before = ref.current;
    const picker = before.route('default', 'hello')?.picker;
    const seq: string[] = [];
    for (let i = 0; i < 37; i++) seq.push(revisionOf(ref.lookup('hello.default.localhost', undefined)));

    // Unrelated changes: another route's split, a new route, hello's tags.
    ref.update({
      routes: [
        { ...HELLO, tags: [{ tag: 'old', revisionName: 'hello-1' }] },
        { ...WORLD, split: [{ revisionName: 'world-1', percent: 70 }, { revisionName: 'world-2', percent: 30 }] },
        OTHER_NS,
      ],
    });
    expect(ref.current).not.toBe(before);
    expect(ref.current.route('default', 'hello')?.picker).toBe(picker);
    for (let i = 0; i < 263; i++) seq.push(revisionOf(ref.lookup('hello.default.localhost', undefined)));

    // Every window of 10 and of 100, including those across the swap, is exact.
    for (let a = 0; a + 10 <= seq.length; a++) expect(seq.slice(a, a + 10).filter((r) => r === 'hello-1')).toHaveLength(1);
    for (let a = 0; a + 100 <= seq.length; a++) expect(seq.slice(a, a + 100).filter((r) => r === 'hello-1')).toHaveLength(10);
    // The old table is untouched and still answers (a request that looked it up before the swap is unaffected).
    expect(before.route('default', 'current')).toBeUndefined();
    expect(revisionOf(before.lookup('current-hello.default.localhost', undefined))).toBe('hello-2');
    expect(revisionOf(ref.lookup('current-hello.default.localhost', undefined))).toBe('<not-found>');
  });

  it('gives a changed split a new picker', () => {
    const first = RouteTable.build({ routes: [HELLO] });
    const second = RouteTable.build({ routes: [{ ...HELLO, split: [{ revisionName: 'hello-2', percent: 80 }, { revisionName: 'hello-1', percent: 20 }] }] }, first);
    expect(second.route('default', 'hello')?.picker).not.toBe(first.route('default', 'hello')?.picker);
    // Same percents, revisions swapped: a different split too.
    const third = RouteTable.build({ routes: [{ ...HELLO, split: [{ revisionName: 'hello-1', percent: 90 }, { revisionName: 'hello-2', percent: 10 }] }] }, first);
    expect(third.route('default', 'hello')?.picker).not.toBe(first.route('default', 'hello')?.picker);
  });

  it('a failed update throws every problem and leaves the current table serving', () => {
    const ref = new RouteTableRef();
    ref.update({ routes: [WORLD] });
    const current = ref.current;
    let caught: unknown;
    try {
      ref.update({
        domain: 'Bad_Domain',
        routes: [
          WORLD,
          WORLD,
          { namespace: 'default', name: 'x', split: [{ revisionName: 'a', percent: 60 }, { revisionName: 'a', percent: 30 }], tags: [{ tag: '9', revisionName: 'a' }] },
          { namespace: 'Default', name: 'y', split: [] },
        ],
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RouteTableError);
    const lines = (caught as RouteTableError).lines;
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^domain "Bad_Domain": a lowercase RFC 1123 subdomain/);
    expect(lines.slice(1).map((l) => l.replace(/:.*$/s, ''))).toEqual([
      'routes[1]',
      'routes[2] (default/x)',
      'routes[2] (default/x)',
      'routes[2] (default/x)',
      'routes[3] (Default/y)',
      'routes[3] (Default/y)',
    ]);
    expect(lines.join('\n')).toContain('revision "a" appears twice in the split');
    expect(lines.join('\n')).toContain('split percents sum to 90, want 100');
    expect(ref.current).toBe(current);
    expect(revisionOf(ref.lookup('world.default.localhost', undefined))).toBe('world-1');
  });
});

describe('from a traffic spec to the table', () => {
  it('a resolved spec is a route input as it is', () => {
    const sources: TrafficSources = {
      revisions: new Map([
        ['hello-1', { ready: 'True', serviceName: 'hello', configurationName: 'hello' }],
        ['hello-2', { ready: 'True', serviceName: 'hello', configurationName: 'hello' }],
      ]),
      configurations: new Map([['hello', { ready: 'True', latestReadyRevisionName: 'hello-2' }]]),
    };
    const r = resolveTraffic(
      [
        { percent: 90, tag: 'latest' },
        { revisionName: 'hello-1', percent: 10, tag: 'old' },
      ],
      sources,
      { serviceName: 'hello' },
    );
    if (r.kind !== 'assigned') throw new Error(r.problem.message);
    const t = RouteTable.build({ routes: [{ namespace: 'default', name: 'hello', ...r.traffic }] });
    expect(tally(() => t.lookup('hello.default.localhost', undefined), 100)).toEqual({ 'hello-2': 90, 'hello-1': 10 });
    expect(revisionOf(t.lookup('latest-hello.default.localhost', undefined))).toBe('hello-2');
    expect(revisionOf(t.lookup('old-hello.default.localhost', undefined))).toBe('hello-1');
  });
});
