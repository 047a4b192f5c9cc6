// `--traffic`, `--tag` and `--untag` of `kdp service update`, applied to the Service's `spec.traffic` as kn's
// pkg/kn/commands/traffic/compute.go does: untag first, then tag (an untagged target of the revision takes the tag,
// else a 0 % target is added), then, if `--traffic` is given, every share is reset and set from the flags (a
// reference is `@latest`, a tag or a revision name) and untagged 0 % targets are dropped. Whether the result sums
// to 100 and names existing revisions is the server's check, with Knative's messages.

import { CliError, parsePairs, UsageError } from '../args.js';
import type { TrafficTarget } from '../objects/types.js';

export const TRAFFIC_OPTIONS = {
  traffic: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  untag: { type: 'string', multiple: true },
} as const;

export interface TrafficFlagValues {
  traffic?: string[] | undefined;
  tag?: string[] | undefined;
  untag?: string[] | undefined;
}

export const LATEST = '@latest';

export function hasTrafficFlags(f: TrafficFlagValues): boolean {
  return f.traffic !== undefined || f.tag !== undefined || f.untag !== undefined;
}

export function computeTraffic(current: readonly TrafficTarget[], f: TrafficFlagValues, command: string): TrafficTarget[] {
  const targets: TrafficTarget[] = current.map((t) => {
    const copy = { ...t };
    delete copy.url;
    return copy;
  });

  for (const tag of (f.untag ?? []).flatMap((v) => v.split(','))) {
    const i = targets.findIndex((t) => t.tag === tag);
    const target = targets[i];
    if (target === undefined) throw new CliError(`--untag ${tag}: no traffic target has the tag '${tag}'`);
    delete target.tag;
    if ((target.percent ?? 0) === 0) targets.splice(i, 1);
  }

  const tagPairs = parsePairs(f.tag, 'tag', 'REVISION=TAG (or @latest=TAG)', command);
  for (const [rev, tag] of tagPairs) {
    if (rev === LATEST) {
      if (targets.some((t) => t.latestRevision === true && t.tag === tag)) continue;
      const untagged = targets.find((t) => t.latestRevision === true && t.tag === undefined);
      if (untagged !== undefined) untagged.tag = tag;
      else targets.push({ tag, latestRevision: true, percent: 0 });
    } else {
      if (targets.some((t) => t.revisionName === rev && t.tag === tag)) continue;
      const untagged = targets.find((t) => t.revisionName === rev && t.tag === undefined);
      if (untagged !== undefined) untagged.tag = tag;
      else targets.push({ tag, revisionName: rev, latestRevision: false, percent: 0 });
    }
  }

  if (f.traffic !== undefined) {
    const pairs = parsePairs(f.traffic, 'traffic', 'REVISION=PERCENT, TAG=PERCENT or @latest=PERCENT', command);
    const seen = new Set<string>();
    for (const t of targets) t.percent = 0;
    for (const [ref, pctText] of pairs) {
      if (seen.has(ref)) throw new UsageError(`--traffic: ${ref} is given more than once`, command);
      seen.add(ref);
      const m = /^(\d+)%?$/.exec(pctText);
      if (m === null) throw new UsageError(`--traffic ${ref}=${pctText}: expected an integer percent`, command);
      const percent = Number(m[1]);
      const target = findTarget(targets, ref);
      if (target !== undefined) target.percent = percent;
      else if (ref === LATEST) targets.push({ latestRevision: true, percent });
      else targets.push({ revisionName: ref, latestRevision: false, percent });
    }
    for (let i = targets.length - 1; i >= 0; i--) {
      const t = targets[i];
      if (t !== undefined && t.tag === undefined && (t.percent ?? 0) === 0) targets.splice(i, 1);
    }
  }
  return targets;
}

/** `@latest` → the untagged latest target; a tag → its target; else the revision's target (untagged first). */
function findTarget(targets: TrafficTarget[], ref: string): TrafficTarget | undefined {
  if (ref === LATEST) return targets.find((t) => t.latestRevision === true && t.tag === undefined);
  return (
    targets.find((t) => t.tag === ref) ??
    targets.find((t) => t.revisionName === ref && t.tag === undefined) ??
    targets.find((t) => t.revisionName === ref)
  );
}
