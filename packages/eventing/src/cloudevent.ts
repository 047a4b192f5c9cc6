// CloudEvents 1.0 and 0.3 over HTTP (the HTTP protocol binding, binary and structured content modes), reduced to
// what a broker needs: read an event from a request, check it, and write it back as a binary-mode request.
//
// Why not the `cloudevents` SDK (sdk-javascript 10.x): it pulls ajv, ajv-formats, json-bigint and the browser
// polyfills `process` and `util`, validates through a JSON schema and builds a frozen class instance per event.
// A broker handles every event on its hot path and needs only the attribute rules of the spec (§3.1 naming, the
// required four, RFC 3339 `time`), so a small reader with table-driven tests is both leaner and clearer. The rules
// follow cloudevents/sdk-go v2 `event/eventcontext_v1.go` / `eventcontext_v03.go` `Validate`, which Knative uses.

import { KdpBaseError } from '@kdp/core';

/** An event as kdp stores and forwards it: every context attribute (extensions included) as a string, the data as bytes. */
export interface CloudEvent {
  readonly attrs: Record<string, string>;
  readonly data: Buffer | undefined;
}

export const SPEC_VERSIONS = ['1.0', '0.3'] as const;
export type SpecVersion = (typeof SPEC_VERSIONS)[number];

/** Why an event was refused: the attribute it is about, and what is wrong with it. */
export class InvalidEventError extends KdpBaseError {
  readonly code = 'KDP_ERR_INVALID_EVENT';
  constructor(
    readonly attribute: string,
    readonly reason: string,
  ) {
    super(attribute === '' ? reason : `${attribute}: ${reason}`);
    this.name = 'InvalidEventError';
  }
}

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';
export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

/** CloudEvents 1.0 §3.1.1: lower-case ASCII letters and digits (sdk-go also accepts no other character). */
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
/** RFC 3339 date-time, as sdk-go's `types.ParseTime` accepts it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Binary content mode: every `ce-*` header is an attribute (values percent-decoded, HTTP binding §3.1.3.2),
 * `Content-Type` is `datacontenttype`, the body is the data. `headers` are node's lower-cased ones.
 */
export function fromBinary(headers: Readonly<Record<string, string | string[] | undefined>>, body: Buffer): CloudEvent {
  const attrs: Record<string, string> = {};
  for (const name in headers) {
    if (name.length <= 3 || !name.startsWith('ce-')) continue;
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
    attrs[name.slice(3)] = value.includes('%') ? percentDecode(value) : value;
  }
  const ct = headers['content-type'];
  if (typeof ct === 'string' && ct !== '') attrs['datacontenttype'] = ct;
  const event: CloudEvent = { attrs, data: body.length > 0 ? body : undefined };
  validate(event);
  return event;
}

/** Structured content mode: the whole event is one JSON object (JSON event format, `data` / `data_base64`). */
export function fromStructured(body: Buffer): CloudEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidEventError('', `body is not JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidEventError('', 'body is not a JSON object');
  const obj = parsed as Record<string, unknown>;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'data' || k === 'data_base64') continue;
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') attrs[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') attrs[k] = String(v);
    else throw new InvalidEventError(k, 'must be a string, number or boolean');
  }
  let data: Buffer | undefined;
  const b64 = obj['data_base64'];
  if (b64 !== undefined && b64 !== null) {
    if (obj['data'] !== undefined) throw new InvalidEventError('data_base64', 'data and data_base64 are mutually exclusive');
    if (typeof b64 !== 'string') throw new InvalidEventError('data_base64', 'must be a string');
    data = Buffer.from(b64, 'base64');
  } else if (obj['data'] !== undefined && obj['data'] !== null) {
    const d = obj['data'];
    if (attrs['datacontentencoding'] !== undefined) {
      // 0.3: `datacontentencoding: base64` means `data` is a base64 string of the bytes.
      if (attrs['datacontentencoding'].toLowerCase() !== 'base64') throw new InvalidEventError('datacontentencoding', 'only base64 is defined');
      if (typeof d !== 'string') throw new InvalidEventError('data', 'must be a base64 string when datacontentencoding is base64');
      data = Buffer.from(d, 'base64');
    } else if (typeof d === 'string' && !isJsonType(attrs['datacontenttype'])) {
      data = Buffer.from(d, 'utf8');
    } else {
      data = Buffer.from(JSON.stringify(d), 'utf8');
      attrs['datacontenttype'] ??= 'application/json';
    }
  }
  // The binary form has no datacontentencoding: the body is the bytes themselves.
  delete attrs['datacontentencoding'];
  const event: CloudEvent = { attrs, data };
  validate(event);
  return event;
}

function isJsonType(ct: string | undefined): boolean {
  if (ct === undefined) return true;
  const base = (ct.split(';')[0] ?? '').trim().toLowerCase();
  return base === 'application/json' || base === 'text/json' || base.endsWith('+json');
}

/** The required attributes and the rules of each spec version; throws InvalidEventError naming the attribute. */
export function validate(e: CloudEvent): void {
  const a = e.attrs;
  const sv = a['specversion'];
  if (sv === undefined || sv === '') throw new InvalidEventError('specversion', 'missing required attribute');
  if (sv !== '1.0' && sv !== '0.3') throw new InvalidEventError('specversion', `unsupported version ${JSON.stringify(sv)} (1.0 and 0.3 are)`);
  for (const req of ['id', 'source', 'type'] as const) {
    if (a[req] === undefined || a[req] === '') throw new InvalidEventError(req, 'missing required attribute');
  }
  for (const name in a) {
    if (!ATTRIBUTE_NAME.test(name)) throw new InvalidEventError(name, 'attribute names must be lower-case letters and digits');
  }
  const time = a['time'];
  if (time !== undefined && (!RFC3339.test(time) || Number.isNaN(Date.parse(time)))) {
    throw new InvalidEventError('time', `not an RFC 3339 timestamp: ${JSON.stringify(time)}`);
  }
  if (a['subject'] === '') throw new InvalidEventError('subject', 'must not be empty when present');
  const schema = sv === '1.0' ? 'dataschema' : 'schemaurl';
  if (a[schema] === '') throw new InvalidEventError(schema, 'must not be empty when present');
  if (a['datacontenttype'] === '') throw new InvalidEventError('datacontenttype', 'must not be empty when present');
}

/**
 * The request headers of binary mode for `e`, as a flat `[name, value, …]` list, without the attributes in `omit`
 * (the broker's TTL is not sent to subscribers). Values outside printable ASCII are percent-encoded.
 */
export function binaryHeaders(e: CloudEvent, omit: string | undefined): string[] {
  const out: string[] = [];
  for (const name in e.attrs) {
    if (name === omit) continue;
    const v = e.attrs[name] ?? '';
    if (name === 'datacontenttype') out.push('content-type', v);
    else out.push(`ce-${name}`, needsEncoding(v) ? percentEncode(v) : v);
  }
  return out;
}

/** The event in the JSON event format (structured mode): for dead-letter listings and `-o json`. */
export function toStructured(e: CloudEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ...e.attrs };
  if (e.data === undefined) return out;
  if (isJsonType(e.attrs['datacontenttype'])) {
    try {
      out['data'] = JSON.parse(e.data.toString('utf8')) as unknown;
      return out;
    } catch {
      // Not JSON after all: fall through to base64.
    }
  } else if (isText(e.attrs['datacontenttype'])) {
    out['data'] = e.data.toString('utf8');
    return out;
  }
  out['data_base64'] = e.data.toString('base64');
  return out;
}

function isText(ct: string | undefined): boolean {
  return ct !== undefined && ct.toLowerCase().startsWith('text/');
}

function needsEncoding(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x25) return true;
  }
  return false;
}

function percentEncode(v: string): string {
  let out = '';
  for (const byte of Buffer.from(v, 'utf8')) {
    out += byte < 0x20 || byte > 0x7e || byte === 0x22 || byte === 0x25 ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

function percentDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
