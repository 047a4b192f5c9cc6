// Trigger filters: the `filter.attributes` form (knative/eventing pkg/eventfilter/attributes) and the `filters`
// dialects of the subscriptions API (pkg/eventfilter/subscriptionsapi: exact, prefix, suffix, all, any, not).
// Validation follows pkg/apis/eventing/v1/trigger_validation.go; filters compile once into a predicate.
//
// CESQL is refused: there is no maintained CESQL parser for JavaScript on npm (the CloudEvents SDK for JS has
// none), and a partial hand-written one would accept expressions Knative evaluates differently.

import type { CloudEvent } from './cloudevent.js';

export interface SubscriptionsApiFilter {
  exact?: Record<string, string>;
  prefix?: Record<string, string>;
  suffix?: Record<string, string>;
  all?: SubscriptionsApiFilter[];
  any?: SubscriptionsApiFilter[];
  not?: SubscriptionsApiFilter;
  cesql?: string;
}

export type EventPredicate = (e: CloudEvent) => boolean;

export interface FilterProblem {
  readonly message: string;
  readonly path: string;
}

/** trigger_validation.go `validAttributeName`. */
const ATTRIBUTE_NAME = /^[a-z][a-z0-9]*$/;
const DIALECTS = ['exact', 'prefix', 'suffix', 'all', 'any', 'not', 'cesql'] as const;

/** `filter.attributes`: every key equal to its value; an empty value means "present" (attributes filter). */
export function attributesPredicate(attrs: Readonly<Record<string, string>> | undefined): EventPredicate {
  const entries = Object.entries(attrs ?? {});
  if (entries.length === 0) return () => true;
  return (e) => {
    for (const [k, v] of entries) {
      const have = e.attrs[k];
      if (have === undefined) return false;
      if (v !== '' && have !== v) return false;
    }
    return true;
  };
}

/** The predicate of a `filters` list: all of them must match (trigger_types.go: the list is an implicit `all`). */
export function filtersPredicate(filters: readonly SubscriptionsApiFilter[]): EventPredicate {
  const preds = filters.map(compile);
  if (preds.length === 0) return () => true;
  if (preds.length === 1) return preds[0] ?? (() => true);
  return (e) => preds.every((p) => p(e));
}

/** A Trigger's predicate: `filters` wins over `filter` when both are set. */
export function triggerPredicate(spec: { filter?: { attributes?: Record<string, string> }; filters?: SubscriptionsApiFilter[] }): EventPredicate {
  if (spec.filters !== undefined && spec.filters.length > 0) return filtersPredicate(spec.filters);
  return attributesPredicate(spec.filter?.attributes);
}

function compile(f: SubscriptionsApiFilter): EventPredicate {
  if (f.exact !== undefined) return keyed(f.exact, (have, want) => have === want);
  if (f.prefix !== undefined) return keyed(f.prefix, (have, want) => have.startsWith(want));
  if (f.suffix !== undefined) return keyed(f.suffix, (have, want) => have.endsWith(want));
  if (f.all !== undefined) {
    const ps = f.all.map(compile);
    return (e) => ps.every((p) => p(e));
  }
  if (f.any !== undefined) {
    const ps = f.any.map(compile);
    return (e) => ps.some((p) => p(e));
  }
  if (f.not !== undefined) {
    const p = compile(f.not);
    return (e) => !p(e);
  }
  // An empty filter matches everything (subscriptionsapi NewAllFilter of nothing).
  return () => true;
}

function keyed(m: Readonly<Record<string, string>>, test: (have: string, want: string) => boolean): EventPredicate {
  const entries = Object.entries(m);
  return (e) => {
    for (const [k, want] of entries) {
      const have = e.attrs[k];
      if (have === undefined || !test(have, want)) return false;
    }
    return true;
  };
}

/** Every problem of `filter.attributes`. */
export function attributesProblems(attrs: unknown, path: string): FilterProblem[] {
  if (attrs === undefined || attrs === null) return [];
  if (typeof attrs !== 'object' || Array.isArray(attrs)) return [{ message: 'expected a map of attribute names to strings', path }];
  const out: FilterProblem[] = [];
  for (const [k, v] of Object.entries(attrs)) {
    if (!ATTRIBUTE_NAME.test(k)) out.push({ message: `Invalid attribute name: ${JSON.stringify(k)}`, path });
    if (typeof v !== 'string') out.push({ message: `invalid value: ${JSON.stringify(v)} (expected a string)`, path: `${path}.${k}` });
  }
  return out;
}

/** Every problem of a `filters` list (unknown JSON is checked here, so the caller may cast after an empty result). */
export function filtersProblems(filters: unknown, path: string): FilterProblem[] {
  if (filters === undefined || filters === null) return [];
  if (!Array.isArray(filters)) return [{ message: 'expected a list of filters', path }];
  return filters.flatMap((f, i) => filterProblems(f, `${path}[${String(i)}]`));
}

function filterProblems(f: unknown, path: string): FilterProblem[] {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) return [{ message: 'expected a filter object', path }];
  const o = f as Record<string, unknown>;
  const out: FilterProblem[] = [];
  const set = DIALECTS.filter((d) => o[d] !== undefined);
  for (const k of Object.keys(o)) {
    if (!(DIALECTS as readonly string[]).includes(k)) out.push({ message: `unknown filter dialect ${JSON.stringify(k)} (expected one of ${DIALECTS.join(', ')})`, path: `${path}.${k}` });
  }
  if (set.length > 1) out.push({ message: `multiple dialects found, filters can have only one dialect set (got ${set.join(', ')})`, path });
  for (const d of set) {
    const v = o[d];
    switch (d) {
      case 'exact':
      case 'prefix':
      case 'suffix': {
        const name = `${d.charAt(0).toUpperCase()}${d.slice(1)}`;
        if (typeof v !== 'object' || v === null || Array.isArray(v)) {
          out.push({ message: `expected a map of one attribute name to a string`, path: `${path}.${d}` });
          break;
        }
        const entries = Object.entries(v);
        if (entries.length !== 1) out.push({ message: `${name} can have only one key-value`, path: `${path}.${d}` });
        for (const [k, val] of entries) {
          if (!ATTRIBUTE_NAME.test(k)) out.push({ message: `Invalid attribute name: ${JSON.stringify(k)}`, path: `${path}.${d}` });
          if (typeof val !== 'string' || val === '') out.push({ message: `invalid value: ${JSON.stringify(val)} (expected a non-empty string)`, path: `${path}.${d}.${k}` });
        }
        break;
      }
      case 'all':
      case 'any': {
        const name = d === 'all' ? 'All' : 'Any';
        if (!Array.isArray(v) || v.length < 1) {
          out.push({ message: `${name} must contain at least one nested filter`, path: `${path}.${d}` });
          break;
        }
        v.forEach((x, i) => out.push(...filterProblems(x, `${path}.${d}[${String(i)}]`)));
        break;
      }
      case 'not':
        out.push(...filterProblems(v, `${path}.not`));
        break;
      case 'cesql':
        out.push({
          message: 'CESQL filters are not supported by kdp (no maintained CESQL parser for JavaScript); use exact, prefix, suffix, all, any or not',
          path: `${path}.cesql`,
        });
        break;
    }
  }
  return out;
}
