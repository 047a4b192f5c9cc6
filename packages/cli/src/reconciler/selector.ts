// Listing objects as the Kubernetes API does: by namespace (or all), filtered by an equality-based label selector,
// sorted by namespace then name.
import { ApiError } from '../api-errors.js';
import type { KnativeObject } from '../objects/types.js';

/** `a=b,c!=d` label selectors (equality-based only). */
export type LabelSelector = readonly { readonly key: string; readonly value: string; readonly equal: boolean }[];

export function list<T extends KnativeObject>(map: ReadonlyMap<string, T>, ns: string | undefined, selector: LabelSelector): T[] {
  return [...map.values()]
    .filter((o) => ns === undefined || o.metadata.namespace === ns)
    .filter((o) => selector.every((s) => (o.metadata.labels?.[s.key] === s.value) === s.equal))
    .sort((a, b) => compare(a.metadata.namespace, b.metadata.namespace) || compare(a.metadata.name, b.metadata.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parses `?labelSelector=` (`k=v`, `k==v`, `k!=v`, comma-separated). */
export function parseLabelSelector(s: string | undefined): LabelSelector {
  if (s === undefined || s.trim() === '') return [];
  return s.split(',').map((part) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(\S*)\s*$/.exec(part);
    if (m === null) throw new ApiError(400, 'BadRequest', `unable to parse requirement: ${JSON.stringify(part)} (kdp supports k=v, k==v and k!=v)`);
    return { key: m[1] ?? '', value: m[3] ?? '', equal: m[2] !== '!=' };
  });
}
