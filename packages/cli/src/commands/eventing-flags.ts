// What the Eventing commands share: kn's `--sink` forms resolved to a Destination (and checked, so a typo fails
// before anything is created), the delivery flags of `kn broker create`, and the client calls on Knative's paths.

import { parseIsoDuration, type DeliverySpec } from '@kdp/eventing';
import { CliError, UsageError } from '../args.js';
import { ApiStatusError, type ApiClient } from '../client.js';
import { EVENTING_PREFIX, EVENTING_RESOURCES, SOURCES_PREFIX, type Destination, type EventingKind, type EventingList, type EventingObject } from '../objects/eventing-types.js';

export function pathOf(kind: EventingKind, ns: string, name?: string): string {
  const prefix = kind === 'PingSource' ? SOURCES_PREFIX : EVENTING_PREFIX;
  const base = `${prefix}/namespaces/${encodeURIComponent(ns)}/${EVENTING_RESOURCES[kind].plural}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export function listOf<T extends EventingObject>(client: ApiClient, kind: T['kind'], ns: string): Promise<EventingList<T>> {
  return client.call('GET', pathOf(kind, ns));
}

export function getOf<T extends EventingObject>(client: ApiClient, kind: T['kind'], ns: string, name: string): Promise<T> {
  return client.call('GET', pathOf(kind, ns, name));
}

export async function exists(client: ApiClient, path: string): Promise<boolean> {
  try {
    await client.call('GET', path);
    return true;
  } catch (err) {
    if (err instanceof ApiStatusError && err.httpStatus === 404) return false;
    throw err;
  }
}

/**
 * kn's sink forms: `ksvc:NAME[:NAMESPACE]` (also a bare NAME), `broker:NAME`, or an http:// URL. The target must
 * exist (as kn resolves the sink before it creates anything).
 */
export async function resolveSink(client: ApiClient, value: string, ns: string, flag: string, command: string): Promise<Destination> {
  if (/^https?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new UsageError(`--${flag} ${JSON.stringify(value)}: not a URL`, command);
    }
    return { uri: value };
  }
  const parts = value.split(':');
  let kind: 'Service' | 'Broker';
  let name: string;
  let refNs = ns;
  if (parts.length === 1) {
    kind = 'Service';
    name = parts[0] ?? '';
  } else if (parts[0] === 'ksvc' && (parts.length === 2 || parts.length === 3)) {
    kind = 'Service';
    name = parts[1] ?? '';
    refNs = parts[2] ?? ns;
  } else if (parts[0] === 'broker' && parts.length === 2) {
    kind = 'Broker';
    name = parts[1] ?? '';
  } else {
    throw new UsageError(`--${flag} ${JSON.stringify(value)}: expected ksvc:NAME[:NAMESPACE], broker:NAME or an http:// URL`, command);
  }
  if (name === '') throw new UsageError(`--${flag} ${JSON.stringify(value)}: the name is empty`, command);
  if (kind === 'Service') {
    if (!(await exists(client, `/apis/serving.knative.dev/v1/namespaces/${encodeURIComponent(refNs)}/services/${encodeURIComponent(name)}`))) {
      throw new CliError(`services.serving.knative.dev ${JSON.stringify(name)} not found`);
    }
    return { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name, ...(refNs !== ns && { namespace: refNs }) } };
  }
  if (!(await exists(client, pathOf('Broker', refNs, name)))) throw new CliError(`brokers.eventing.knative.dev ${JSON.stringify(name)} not found`);
  return { ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name } };
}

/** How kn prints a sink in lists: `ksvc:NAME`, `broker:NAME`, or the URI. */
export function sinkText(d: Destination | undefined): string {
  if (d === undefined) return '';
  if (d.ref === undefined) return d.uri ?? '';
  const prefix = d.ref.kind === 'Service' ? 'ksvc' : d.ref.kind.toLowerCase();
  return `${prefix}:${d.ref.name}`;
}

export const DELIVERY_OPTIONS = {
  'dl-sink': { type: 'string' },
  retry: { type: 'string' },
  'backoff-policy': { type: 'string' },
  'backoff-delay': { type: 'string' },
  'retry-after-max': { type: 'string' },
  timeout: { type: 'string' },
} as const;

interface DeliveryFlags {
  'dl-sink'?: string | undefined;
  retry?: string | undefined;
  'backoff-policy'?: string | undefined;
  'backoff-delay'?: string | undefined;
  'retry-after-max'?: string | undefined;
  timeout?: string | undefined;
}

/** The delivery spec of kn's delivery flags; undefined when none is given. Every bad value is reported at once. */
export async function deliveryOf(client: ApiClient, v: DeliveryFlags, ns: string, command: string): Promise<DeliverySpec | undefined> {
  const problems: string[] = [];
  const out: DeliverySpec = {};
  let any = false;
  if (v.retry !== undefined) {
    any = true;
    if (!/^\d+$/.test(v.retry)) problems.push(`--retry ${JSON.stringify(v.retry)}: expected an integer >= 0`);
    else out.retry = Number(v.retry);
  }
  if (v['backoff-policy'] !== undefined) {
    any = true;
    const p = v['backoff-policy'];
    if (p !== 'linear' && p !== 'exponential') problems.push(`--backoff-policy ${JSON.stringify(p)}: expected linear or exponential`);
    else out.backoffPolicy = p;
  }
  for (const [flag, key] of [
    ['backoff-delay', 'backoffDelay'],
    ['retry-after-max', 'retryAfterMax'],
    ['timeout', 'timeout'],
  ] as const) {
    const s = v[flag];
    if (s === undefined) continue;
    any = true;
    if (parseIsoDuration(s) === undefined) problems.push(`--${flag} ${JSON.stringify(s)}: not an ISO-8601 duration (e.g. PT0.2S, PT1M)`);
    else out[key] = s;
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'), command);
  if (v['dl-sink'] !== undefined) {
    any = true;
    out.deadLetterSink = await resolveSink(client, v['dl-sink'], ns, 'dl-sink', command);
  }
  return any ? out : undefined;
}
