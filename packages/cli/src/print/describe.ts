// Pieces of `describe` output shared by services, revisions and routes, laid out as kn prints them.

import type { Condition, ObjectMeta, Revision, TrafficTarget } from '../objects/types.js';
import { LABELS } from '../objects/types.js';
import { age } from './format.js';

/** `Key:  value` lines with the values aligned. */
export function fields(rows: readonly (readonly [string, string | undefined])[], indent = ''): string {
  const shown = rows.filter((r): r is readonly [string, string] => r[1] !== undefined && r[1] !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length + 1));
  return shown.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}  ${v}\n`).join('');
}

/** The rows every kn `describe` starts with: the object's name, namespace and age. */
export function metadataFields(m: ObjectMeta, nowMs: number): (readonly [string, string])[] {
  return [
    ['Name', m.name],
    ['Namespace', m.namespace],
    ['Age', age(m.creationTimestamp, nowMs)],
  ];
}

/** kn's condition symbols: `++` True, `!!` False, `??` Unknown, ` I`/` W` a False of Info/Warning severity. */
function symbol(c: Condition): string {
  if (c.status === 'True') return '++';
  if (c.status === 'Unknown') return '??';
  if (c.severity === 'Info') return ' I';
  if (c.severity === 'Warning') return ' W';
  return '!!';
}

export function conditions(list: readonly Condition[] | undefined, nowMs: number): string {
  const rows = list ?? [];
  const width = Math.max(4, ...rows.map((c) => c.type.length));
  const out = [`Conditions:\n`, `  OK ${'TYPE'.padEnd(width)}   AGE REASON\n`];
  for (const c of rows) {
    const reason = c.status === 'True' ? '' : [c.reason, c.message].filter((x) => x !== undefined && x !== '').join(' ');
    out.push(`  ${symbol(c)} ${c.type.padEnd(width)} ${age(c.lastTransitionTime, nowMs).padStart(5)} ${reason}`.trimEnd() + '\n');
  }
  return out.join('');
}

/** `3 OK / 4`. */
export function conditionCount(list: readonly Condition[] | undefined): string {
  const rows = list ?? [];
  return `${rows.filter((c) => c.status === 'True').length} OK / ${rows.length}`;
}

/** The command line of a revision's container, quoted where a shell would need it. */
export function commandLine(rev: Pick<Revision, 'spec'>): string {
  const c = rev.spec.containers[0];
  return [...(c?.command ?? []), ...(c?.args ?? [])].map(quote).join(' ');
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `50%` share and tags of one revision in a route's status traffic. */
export function trafficOf(traffic: readonly TrafficTarget[] | undefined, revision: string): { percent: number; tags: string[]; latest: boolean } {
  let percent = 0;
  const tags: string[] = [];
  let latest = false;
  for (const t of traffic ?? []) {
    if (t.revisionName !== revision) continue;
    percent += t.percent ?? 0;
    if (t.tag !== undefined) tags.push(t.tag);
    if (t.latestRevision === true) latest = true;
  }
  return { percent, tags, latest };
}

export function generationOf(rev: Revision): number {
  return Number(rev.metadata.labels?.[LABELS.configurationGeneration] ?? 0);
}

/** A traffic target line of kn's describe: `  50%  @latest (hello-knative) #tag`. */
export function targetLine(t: TrafficTarget): string {
  const who = t.latestRevision === true ? `@latest (${t.revisionName ?? '?'})` : (t.revisionName ?? '?');
  const tag = t.tag === undefined ? '' : ` #${t.tag}`;
  return `${`${t.percent ?? 0}%`.padStart(5)}  ${who}${tag}`;
}
