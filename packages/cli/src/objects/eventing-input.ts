// Reading a Broker, Trigger or PingSource from untrusted JSON: every problem collected with its Knative field path
// (trigger_validation.go, broker_validation.go, ping_validation.go, delivery_types.go), then either the typed spec
// or one InvalidObjectError listing them all, so a bad object changes nothing.

import { attributesProblems, deliveryProblems, filtersProblems, scheduleProblems, type DeliverySpec, type SubscriptionsApiFilter } from '@kdp/eventing';
import { dns1123LabelErrors } from '@kdp/router';
import { Issues, isObject, optObject, optString, optStringMap, type JsonObject } from './decode.js';
import { InvalidObjectError } from './service-input.js';
import type { Broker, Destination, EventingKind, PingSource, Trigger } from './eventing-types.js';
import { EVENTING_RESOURCES, MAX_IN_FLIGHT_ANNOTATION } from './eventing-types.js';

export interface DecodedMeta {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export interface Decoded<S> {
  readonly meta: DecodedMeta;
  readonly spec: S;
}

function head(body: unknown, kind: EventingKind, namespace: string, issues: Issues): { meta: DecodedMeta; spec: JsonObject } {
  const apiVersion = EVENTING_RESOURCES[kind].apiVersion;
  if (!isObject(body)) {
    issues.invalid(body, 'body', `expected a ${apiVersion} ${kind} object`);
    throw new InvalidObjectError(issues.list);
  }
  const av = optString(body, 'apiVersion', '', issues);
  if (av !== undefined && av !== apiVersion) issues.invalid(av, 'apiVersion', `expected ${apiVersion}`);
  const k = optString(body, 'kind', '', issues);
  if (k !== undefined && k !== kind) issues.invalid(k, 'kind', `expected ${kind}`);
  const metaObj = optObject(body, 'metadata', '', issues) ?? {};
  const name = optString(metaObj, 'name', 'metadata.', issues) ?? '';
  if (name === '') issues.missing('metadata.name');
  else for (const e of dns1123LabelErrors(name)) issues.invalid(name, 'metadata.name', e);
  const ns = optString(metaObj, 'namespace', 'metadata.', issues);
  if (ns !== undefined && ns !== '' && ns !== namespace) {
    issues.invalid(ns, 'metadata.namespace', `the namespace of the object does not match the namespace of the request (${namespace})`);
  }
  const labels = optStringMap(metaObj, 'labels', 'metadata.', issues) ?? {};
  const annotations = optStringMap(metaObj, 'annotations', 'metadata.', issues) ?? {};
  const spec = optObject(body, 'spec', '', issues);
  return { meta: { name, labels, annotations }, spec: spec ?? {} };
}

function delivery(o: JsonObject, path: string, issues: Issues): DeliverySpec | undefined {
  const d = optObject(o, 'delivery', path, issues);
  if (d === undefined) return undefined;
  const at = `${path}delivery`;
  const out: DeliverySpec = {};
  if (d['retry'] !== undefined) out.retry = d['retry'] as number;
  if (d['backoffPolicy'] !== undefined) out.backoffPolicy = d['backoffPolicy'] as 'linear';
  for (const k of ['backoffDelay', 'timeout', 'retryAfterMax'] as const) if (d[k] !== undefined) out[k] = d[k] as string;
  const dls = optObject(d, 'deadLetterSink', `${at}.`, issues);
  if (dls !== undefined) out.deadLetterSink = destination(dls, `${at}.deadLetterSink`, issues);
  for (const p of deliveryProblems(out, at)) issues.add(p.message, p.path);
  return out;
}

/** duckv1.Destination validation: a ref (kind + name) or a URI. */
function destination(o: JsonObject, path: string, issues: Issues): Destination {
  const out: Destination = {};
  const ref = optObject(o, 'ref', `${path}.`, issues);
  const uri = optString(o, 'uri', `${path}.`, issues);
  if (ref !== undefined) {
    const kind = optString(ref, 'kind', `${path}.ref.`, issues) ?? '';
    const name = optString(ref, 'name', `${path}.ref.`, issues) ?? '';
    if (kind === '') issues.missing(`${path}.ref.kind`);
    if (name === '') issues.missing(`${path}.ref.name`);
    const apiVersion = optString(ref, 'apiVersion', `${path}.ref.`, issues);
    const namespace = optString(ref, 'namespace', `${path}.ref.`, issues);
    out.ref = { kind, name, ...(apiVersion !== undefined && { apiVersion }), ...(namespace !== undefined && { namespace }) };
    if (kind !== '' && kind !== 'Service' && kind !== 'Broker') issues.invalid(kind, `${path}.ref.kind`, 'kdp resolves Service (serving.knative.dev/v1) and Broker references');
  }
  if (uri !== undefined) {
    out.uri = uri;
    if (ref === undefined) {
      try {
        const u = new URL(uri);
        if (u.protocol !== 'http:') issues.invalid(uri, `${path}.uri`, 'only http:// URIs are supported');
      } catch {
        issues.invalid(uri, `${path}.uri`, 'not an absolute URI');
      }
    }
  }
  if (ref === undefined && uri === undefined) issues.add('expected at least one, got none', `${path}.ref, ${path}.uri`);
  return out;
}

export function decodeBroker(body: unknown, namespace: string): Decoded<Broker['spec']> {
  const issues = new Issues();
  const { meta, spec } = head(body, 'Broker', namespace, issues);
  const d = delivery(spec, 'spec.', issues);
  if (issues.list.length > 0) throw new InvalidObjectError(issues.list);
  return { meta, spec: d === undefined ? {} : { delivery: d } };
}

export function decodeTrigger(body: unknown, namespace: string): Decoded<Trigger['spec']> {
  const issues = new Issues();
  const { meta, spec } = head(body, 'Trigger', namespace, issues);
  if (!isObject(body) || !isObject(body['spec'])) issues.missing('spec');
  const broker = optString(spec, 'broker', 'spec.', issues) ?? '';
  if (broker === '' && isObject(body) && isObject(body['spec'])) issues.missing('spec.broker');
  const filterObj = optObject(spec, 'filter', 'spec.', issues);
  const attrs = filterObj?.['attributes'];
  for (const p of attributesProblems(attrs, 'spec.filter.attributes')) issues.add(p.message, p.path);
  for (const p of filtersProblems(spec['filters'], 'spec.filters')) issues.add(p.message, p.path);
  const subObj = optObject(spec, 'subscriber', 'spec.', issues);
  if (subObj === undefined && isObject(body) && isObject(body['spec'])) issues.missing('spec.subscriber');
  const subscriber = subObj === undefined ? {} : destination(subObj, 'spec.subscriber', issues);
  const d = delivery(spec, 'spec.', issues);
  const limit = meta.annotations[MAX_IN_FLIGHT_ANNOTATION];
  if (limit !== undefined && !/^\d+$/.test(limit)) issues.invalid(limit, `metadata.annotations[${MAX_IN_FLIGHT_ANNOTATION}]`, 'expected a non-negative integer (0: no limit)');
  if (issues.list.length > 0) throw new InvalidObjectError(issues.list);
  const out: Trigger['spec'] = { broker, subscriber };
  if (isObject(attrs)) out.filter = { attributes: attrs as Record<string, string> };
  if (Array.isArray(spec['filters'])) out.filters = spec['filters'] as unknown as SubscriptionsApiFilter[];
  if (d !== undefined) out.delivery = d;
  return { meta, spec: out };
}

export function decodePingSource(body: unknown, namespace: string): Decoded<PingSource['spec']> {
  const issues = new Issues();
  const { meta, spec } = head(body, 'PingSource', namespace, issues);
  const schedule = optString(spec, 'schedule', 'spec.', issues) ?? '* * * * *';
  const timezone = optString(spec, 'timezone', 'spec.', issues);
  for (const p of scheduleProblems(schedule, timezone)) issues.add(p, p.startsWith('invalid timezone') ? 'spec.timezone' : 'spec.schedule');
  const contentType = optString(spec, 'contentType', 'spec.', issues);
  const data = optString(spec, 'data', 'spec.', issues);
  const dataBase64 = optString(spec, 'dataBase64', 'spec.', issues);
  if (data !== undefined && dataBase64 !== undefined) issues.add('expected exactly one, got both', 'spec.data, spec.dataBase64');
  if (dataBase64 !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(dataBase64)) issues.invalid(dataBase64, 'spec.dataBase64', 'not base64');
  const sinkObj = optObject(spec, 'sink', 'spec.', issues);
  if (sinkObj === undefined) issues.missing('spec.sink');
  const sink = sinkObj === undefined ? {} : destination(sinkObj, 'spec.sink', issues);
  const ce = optObject(spec, 'ceOverrides', 'spec.', issues);
  const extensions = ce === undefined ? undefined : optStringMap(ce, 'extensions', 'spec.ceOverrides.', issues);
  for (const k of Object.keys(extensions ?? {})) {
    if (!/^[a-z0-9]+$/.test(k)) issues.invalid(k, `spec.ceOverrides.extensions.${k}`, 'CloudEvent attribute names are lower-case letters and digits');
  }
  if (issues.list.length > 0) throw new InvalidObjectError(issues.list);
  const out: PingSource['spec'] = { schedule, sink };
  if (timezone !== undefined) out.timezone = timezone;
  if (contentType !== undefined) out.contentType = contentType;
  if (data !== undefined) out.data = data;
  if (dataBase64 !== undefined) out.dataBase64 = dataBase64;
  if (extensions !== undefined) out.ceOverrides = { extensions };
  return { meta, spec: out };
}
