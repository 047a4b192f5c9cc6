// `kdp apply -f` for `eventing.knative.dev/v1` Broker and Trigger and `sources.knative.dev/v1` PingSource: created,
// or replaced as a whole (last writer wins), with one line each.

import { isObject } from '../objects/decode.js';
import { EVENTING_RESOURCES, type EventingKind, type EventingObject } from '../objects/eventing-types.js';
import type { Ctx } from './context.js';
import { pathOf } from './eventing-flags.js';
import { ApiStatusError } from '../client.js';

export function isEventingDocument(obj: Record<string, unknown>): boolean {
  const kind = obj['kind'];
  return typeof kind === 'string' && kind in EVENTING_RESOURCES && obj['apiVersion'] === EVENTING_RESOURCES[kind as EventingKind].apiVersion;
}

export async function applyEventing(obj: Record<string, unknown>, ctx: Ctx): Promise<void> {
  const kind = obj['kind'] as EventingKind;
  const meta = isObject(obj['metadata']) ? obj['metadata'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const ns = typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? meta['namespace'] : ctx.namespace;
  delete meta['resourceVersion'];
  delete obj['status'];
  let existing: EventingObject | undefined;
  try {
    existing = name === '' ? undefined : await ctx.client.call<EventingObject>('GET', pathOf(kind, ns, name));
  } catch (err) {
    if (!(err instanceof ApiStatusError && err.httpStatus === 404)) throw err;
  }
  const label = kind === 'PingSource' ? 'Ping source' : kind;
  if (existing === undefined) {
    await ctx.client.call('POST', pathOf(kind, ns), obj);
    ctx.io.out(`${label} '${name}' created in namespace '${ns}'.\n`);
    return;
  }
  const updated = await ctx.client.call<EventingObject>('PUT', pathOf(kind, ns, name), obj);
  ctx.io.out(
    updated.metadata.generation === existing.metadata.generation
      ? `No changes to apply to ${label.toLowerCase()} '${name}' in namespace '${ns}'.\n`
      : `${label} '${name}' updated in namespace '${ns}'.\n`,
  );
}
