// The immutable host → route → revision table, and the one reference through which the request path reads it.
// Knative realises the same thing as ingress rules (knative/serving pkg/reconciler/route/resources/ingress.go):
// a rule per host (the route's, and one per tag), and on the default host, with tag-header routing on, one path
// per tag matched on `Knative-Serving-Tag`, ahead of the default path that carries the split.

import { RouteTableError } from './errors.js';
import { DEFAULT_DOMAIN, domainProblems, hostProblem, normalizeHost, routeHost, tagHost } from './host.js';
import { dns1035LabelErrors, dns1123LabelErrors } from './k8s-names.js';
import { SplitPicker } from './split.js';
import { buildSplitSchedule, type SplitSchedule } from './split-schedule.js';
import type { TagTarget, WeightedRevision } from './traffic-resolution.js';

/** Request header naming a tag on the default host (Knative networking `header.RouteTagKey`). */
export const TAG_HEADER = 'Knative-Serving-Tag';
/** Header Knative appends on the default path when tag-header routing is on (`header.DefaultRouteKey`). */
export const DEFAULT_ROUTE_HEADER = 'Knative-Serving-Default-Route';

export interface RouteInput {
  readonly namespace: string;
  /** The route's (= the Service's) name. */
  readonly name: string;
  /** The default host's split; percents sum to 100. A `ResolvedTraffic` fits here as it is. */
  readonly split: readonly WeightedRevision[];
  readonly tags?: readonly TagTarget[];
}

export interface RouteTableInput {
  readonly routes: readonly RouteInput[];
  /** Defaults to `DEFAULT_DOMAIN` (`localhost`). */
  readonly domain?: string;
  /**
   * Route `Knative-Serving-Tag: <tag>` on the default host to the tag's revision. On by default in kdp; Knative's
   * `tag-header-based-routing` feature flag defaults to Disabled (pkg/apis/config/features.go).
   */
  readonly tagHeaderRouting?: boolean;
  /**
   * A tag header naming no tag of the route: `default-route` serves the default split, as Knative does (the header
   * paths match exactly, so the request falls through to the default path, and the queue-proxy labels it
   * `kn:undefined`); `reject` answers `unknown-tag` instead.
   */
  readonly unknownTagHeader?: 'default-route' | 'reject';
}

/** How a request reached its revision; `default` is the split. */
export type RouteVia = 'default' | 'tag-host' | 'tag-header';

export interface RouteMatch {
  readonly kind: 'match';
  readonly namespace: string;
  readonly route: string;
  readonly revision: string;
  readonly via: RouteVia;
  /** The tag, for `tag-host` and `tag-header`. */
  readonly tag: string | undefined;
}

export interface RouteMiss {
  readonly kind: 'miss';
  readonly error: 'not-found' | 'unknown-tag';
}

export type LookupResult = RouteMatch | RouteMiss;

/** A route as the table holds it, for the control plane and tests. */
export interface RouteInfo {
  readonly namespace: string;
  readonly name: string;
  /** Host of the default split (not served if `diagnostics` says it is invalid). */
  readonly host: string;
  /** Tag hosts this route actually serves (a shadowed or invalid one is missing, see `diagnostics`). */
  readonly tagHosts: ReadonlyMap<string, string>;
  /** The split's picker; shared with the previous table when the split did not change. */
  readonly picker: SplitPicker;
}

// Results are built at table build time and returned as they are: a lookup allocates nothing.
const NOT_FOUND: RouteMiss = Object.freeze({ kind: 'miss', error: 'not-found' });
const UNKNOWN_TAG: RouteMiss = Object.freeze({ kind: 'miss', error: 'unknown-tag' });

class RouteEntry {
  constructor(
    readonly namespace: string,
    readonly name: string,
    /** Identity of the split: same key, same picker. */
    readonly splitKey: string,
    readonly picker: SplitPicker,
    /** One per split target, in split order. */
    readonly defaults: readonly RouteMatch[],
    readonly byTagHeader: ReadonlyMap<string, RouteMatch>,
    readonly tagHosts: Map<string, string>,
    readonly host: string,
  ) {}

  pickDefault(): LookupResult {
    // A single target skips the picker (its period is 1, the answer is always index 0). The `??` is unreachable:
    // the picker only returns indices of the split.
    const defaults = this.defaults;
    return (defaults.length === 1 ? defaults[0] : defaults[this.picker.pick()]) ?? NOT_FOUND;
  }
}

type HostEntry = { readonly kind: 'default'; readonly route: RouteEntry } | { readonly kind: 'tag'; readonly match: RouteMatch };

function match(namespace: string, route: string, revision: string, via: RouteVia, tag: string | undefined): RouteMatch {
  return Object.freeze({ kind: 'match', namespace, route, revision, via, tag });
}

function splitKeyOf(split: readonly WeightedRevision[]): string {
  return split.map((s) => `${s.revisionName}=${s.percent}`).join(',');
}

function checkRoute(r: RouteInput, where: string, problems: string[]): void {
  for (const [field, value] of [
    ['namespace', r.namespace],
    ['name', r.name],
  ] as const) {
    const errs = dns1123LabelErrors(value);
    if (errs.length > 0) problems.push(`${where}: ${field} ${JSON.stringify(value)}: ${errs.join(', ')}`);
  }
  if (r.split.length === 0) problems.push(`${where}: split is empty`);
  let sum = 0;
  const seen = new Set<string>();
  for (const s of r.split) {
    if (!Number.isInteger(s.percent) || s.percent < 1 || s.percent > 100) {
      problems.push(`${where}: percent of ${JSON.stringify(s.revisionName)} must be an integer in 1..100, got ${String(s.percent)}`);
    }
    if (s.revisionName === '') problems.push(`${where}: split names an empty revision`);
    if (seen.has(s.revisionName)) problems.push(`${where}: revision ${JSON.stringify(s.revisionName)} appears twice in the split`);
    seen.add(s.revisionName);
    sum += s.percent;
  }
  if (r.split.length > 0 && sum !== 100) problems.push(`${where}: split percents sum to ${String(sum)}, want 100`);
  const tags = new Set<string>();
  for (const t of r.tags ?? []) {
    const errs = dns1035LabelErrors(t.tag);
    if (errs.length > 0) problems.push(`${where}: tag ${JSON.stringify(t.tag)}: ${errs.join(' ')}`);
    if (tags.has(t.tag)) problems.push(`${where}: tag ${JSON.stringify(t.tag)} appears twice`);
    if (t.revisionName === '') problems.push(`${where}: tag ${JSON.stringify(t.tag)} names an empty revision`);
    tags.add(t.tag);
  }
}

export class RouteTable {
  readonly domain: string;
  readonly tagHeaderRouting: boolean;
  readonly unknownTagHeader: 'default-route' | 'reject';
  /** Hosts not served, with why: collisions between generated hosts, or a generated host that is not a valid name. */
  readonly diagnostics: readonly string[];
  private readonly hosts: ReadonlyMap<string, HostEntry>;
  private readonly routes: ReadonlyMap<string, RouteEntry>;
  private readonly schedules: ReadonlyMap<string, SplitSchedule>;

  private constructor(
    input: Required<Omit<RouteTableInput, 'routes'>>,
    hosts: ReadonlyMap<string, HostEntry>,
    routes: ReadonlyMap<string, RouteEntry>,
    schedules: ReadonlyMap<string, SplitSchedule>,
    diagnostics: readonly string[],
  ) {
    this.domain = input.domain;
    this.tagHeaderRouting = input.tagHeaderRouting;
    this.unknownTagHeader = input.unknownTagHeader;
    this.hosts = hosts;
    this.routes = routes;
    this.schedules = schedules;
    this.diagnostics = Object.freeze(diagnostics.slice());
    Object.freeze(this);
  }

  static empty(): RouteTable {
    return RouteTable.build({ routes: [] });
  }

  /**
   * Build a table. Routes whose split is unchanged from `previous` (same revisions, same percents, same order)
   * keep their picker, so the split stays exact across unrelated updates. Throws `RouteTableError` listing every
   * malformed input; collisions between generated hosts are not errors but `diagnostics`.
   *
   * Collisions. Knative generates hosts from templates and does not arbitrate between routes; kdp does, by a fixed
   * rule: a route's own host beats another route's tag host (`canary-hello.default` is the Service `canary-hello`,
   * not the tag `canary` of `hello`); between two tag hosts the first in (namespace, route, tag) order wins.
   */
  static build(input: RouteTableInput, previous?: RouteTable): RouteTable {
    const options = {
      domain: input.domain ?? DEFAULT_DOMAIN,
      tagHeaderRouting: input.tagHeaderRouting ?? true,
      unknownTagHeader: input.unknownTagHeader ?? 'default-route',
    } as const;

    const problems: string[] = [];
    for (const p of domainProblems(options.domain)) problems.push(`domain ${JSON.stringify(options.domain)}: ${p}`);
    const keys = new Set<string>();
    input.routes.forEach((r, i) => {
      const key = `${r.namespace}/${r.name}`;
      if (keys.has(key)) problems.push(`routes[${i}]: route ${key} appears twice`);
      keys.add(key);
      checkRoute(r, `routes[${i}] (${key})`, problems);
    });
    if (problems.length > 0) throw new RouteTableError(problems);

    const sorted = input.routes.slice().sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
    const schedules = new Map<string, SplitSchedule>();
    const routes = new Map<string, RouteEntry>();
    const hosts = new Map<string, HostEntry>();
    const owners = new Map<string, string>();
    const diagnostics: string[] = [];

    for (const r of sorted) {
      const key = `${r.namespace}/${r.name}`;
      const splitKey = splitKeyOf(r.split);
      const before = previous?.routes.get(key);
      let picker: SplitPicker;
      let defaults: readonly RouteMatch[];
      if (before !== undefined && before.splitKey === splitKey) {
        picker = before.picker;
        defaults = before.defaults;
      } else {
        const weights = r.split.map((s) => s.percent);
        const weightKey = weights.join(',');
        let schedule = schedules.get(weightKey) ?? previous?.schedules.get(weightKey);
        if (schedule === undefined) schedule = buildSplitSchedule(weights);
        schedules.set(weightKey, schedule);
        picker = new SplitPicker(weights, schedule);
        defaults = Object.freeze(r.split.map((s) => match(r.namespace, r.name, s.revisionName, 'default', undefined)));
      }
      const byTagHeader = new Map<string, RouteMatch>();
      for (const t of r.tags ?? []) byTagHeader.set(t.tag, match(r.namespace, r.name, t.revisionName, 'tag-header', t.tag));
      const host = routeHost(r.name, r.namespace, options.domain);
      const entry = new RouteEntry(r.namespace, r.name, splitKey, picker, defaults, byTagHeader, new Map(), host);
      routes.set(key, entry);
      const problem = hostProblem(host);
      if (problem !== undefined) {
        diagnostics.push(`route ${key}: not served: ${problem}`);
        continue;
      }
      // Own hosts cannot collide with each other: (namespace, name) is unique and neither holds a dot.
      hosts.set(host, { kind: 'default', route: entry });
      owners.set(host, `route ${key}`);
    }

    for (const r of sorted) {
      const key = `${r.namespace}/${r.name}`;
      const entry = routes.get(key);
      if (entry === undefined) continue;
      const tags = (r.tags ?? []).slice().sort((a, b) => cmp(a.tag, b.tag));
      for (const t of tags) {
        const host = tagHost(t.tag, r.name, r.namespace, options.domain);
        const what = `tag ${JSON.stringify(t.tag)} of route ${key}`;
        const problem = hostProblem(host);
        if (problem !== undefined) {
          diagnostics.push(`${what}: not served: ${problem}`);
          continue;
        }
        const owner = owners.get(host);
        if (owner !== undefined) {
          diagnostics.push(`${what}: host ${JSON.stringify(host)} not served: it is taken by ${owner}`);
          continue;
        }
        hosts.set(host, { kind: 'tag', match: match(r.namespace, r.name, t.revisionName, 'tag-host', t.tag) });
        owners.set(host, what);
        entry.tagHosts.set(t.tag, host);
      }
    }

    return new RouteTable(options, hosts, routes, schedules, diagnostics);
  }

  /**
   * Where a request goes. `host` is the Host header as received (port, case and a trailing dot do not matter);
   * `tagHeader` is `Knative-Serving-Tag`, consulted only on a route's own host and only with tag-header routing on
   * (an empty value counts as absent). Each call on a default route advances that route's split.
   */
  lookup(host: string, tagHeader: string | undefined): LookupResult {
    const entry = this.hosts.get(normalizeHost(host));
    if (entry === undefined) return NOT_FOUND;
    if (entry.kind === 'tag') return entry.match;
    const route = entry.route;
    if (tagHeader !== undefined && tagHeader !== '' && this.tagHeaderRouting) {
      const tagged = route.byTagHeader.get(tagHeader);
      if (tagged !== undefined) return tagged;
      if (this.unknownTagHeader === 'reject') return UNKNOWN_TAG;
    }
    return route.pickDefault();
  }

  /** Number of routes. */
  get size(): number {
    return this.routes.size;
  }

  route(namespace: string, name: string): RouteInfo | undefined {
    const e = this.routes.get(`${namespace}/${name}`);
    if (e === undefined) return undefined;
    return { namespace: e.namespace, name: e.name, host: e.host, tagHosts: new Map(e.tagHosts), picker: e.picker };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The single mutable reference the request path reads. `update` builds the next table from the current one (so
 * unchanged splits keep their pickers) and swaps it in with one assignment: a lookup sees the old table or the
 * new one, never a mix. A failed build throws and leaves the current table serving.
 */
export class RouteTableRef {
  private table: RouteTable;

  constructor(initial: RouteTable = RouteTable.empty()) {
    this.table = initial;
  }

  get current(): RouteTable {
    return this.table;
  }

  update(input: RouteTableInput): RouteTable {
    const next = RouteTable.build(input, this.table);
    this.table = next;
    return next;
  }

  lookup(host: string, tagHeader: string | undefined): LookupResult {
    return this.table.lookup(host, tagHeader);
  }
}
