/**
 * Header edits of Go's `httputil.ReverseProxy` (Director mode) for the fallback engine, on flat header lists as node
 * gives them (`rawHeaders`: [name, value, name, value, ...]).
 *
 * Mirrors Go `net/http/httputil/reverseproxy.go` (`removeHopByHopHeaders`, the `Te: trailers` re-add, the upgrade
 * re-add, the `X-Forwarded-For` append) and docs/contract/queue-proxy.md §2.7. Pure functions: table-tested in `headers.test.ts`.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { ForwardEdits, HeaderList } from '../http/exchange.js';
import { HOP_BY_HOP } from '../http/hop-by-hop.js';

/**
 * Headers node:http2 refuses to send (ERR_HTTP2_INVALID_CONNECTION_HEADERS) on top of the hop-by-hop ones; `host`
 * travels as `:authority` in HTTP/2.
 */
const H2_FORBIDDEN: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'http2-settings', 'host']);

/**
 * Headers node:http2 accepts only once (its `kSingleValueHeaders`); a repeated one keeps its first value instead of
 * making node throw.
 */
const H2_SINGLE_VALUE: ReadonlySet<string> = new Set([
  'access-control-allow-credentials',
  'access-control-max-age',
  'access-control-request-method',
  'age',
  'authorization',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'dnt',
  'etag',
  'expires',
  'from',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'range',
  'referer',
  'retry-after',
  'tk',
  'upgrade-insecure-requests',
  'user-agent',
  'x-content-type-options',
]);

/** First value of header `lower` (lower case) in a flat list whose names may have any case. */
export function headerValue(raw: HeaderList, lower: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    if (name !== undefined && name.length === lower.length && name.toLowerCase() === lower) return raw[i + 1];
  }
  return undefined;
}

/** True if the comma-separated header value contains `token` (case-insensitive), like Go's `httpguts`. */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const part of value.split(',')) {
    if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}

/** Lower-case names listed in every `Connection` header: they are hop-by-hop too (RFC 9110 §7.6.1). */
export function connectionListed(raw: HeaderList): ReadonlySet<string> | null {
  let out: Set<string> | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== 'connection') continue;
    for (const part of (raw[i + 1] ?? '').split(',')) {
      const t = part.trim().toLowerCase();
      if (t !== '') (out ??= new Set()).add(t);
    }
  }
  return out;
}

/**
 * Go's `upgradeType`: the `Upgrade` value when `Connection` lists `upgrade`, else undefined. Only used on HTTP/1.1
 * requests node already flagged as upgrades.
 */
export function upgradeType(raw: HeaderList): string | undefined {
  let connectionUpgrade = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'connection' && hasToken(raw[i + 1], 'upgrade')) connectionUpgrade = true;
  }
  return connectionUpgrade ? headerValue(raw, 'upgrade') : undefined;
}

/** How the upstream HTTP/1.1 request body is framed. */
export type BodyFraming = 'none' | 'length' | 'chunked';

/**
 * Framing of the client's request body as node:http parsed it: `Content-Length` wins (node rejects messages that
 * have both; `0` means no body), `Transfer-Encoding` means chunked (the only coding node accepts last).
 */
export function requestFraming(raw: HeaderList): BodyFraming {
  const length = headerValue(raw, 'content-length');
  if (length !== undefined) return length.trim() === '0' ? 'none' : 'length';
  if (headerValue(raw, 'transfer-encoding') !== undefined) return 'chunked';
  return 'none';
}

export interface OriginForm {
  /** Request-target to send upstream: origin-form (or `*`). */
  readonly path: string;
  /** Authority of an absolute-form target, which replaces Host (RFC 9112 §3.2.2, Go's `Request.Host`). */
  readonly authority: string | undefined;
}

/** Go's Director sends origin-form upstream; an absolute-form target (`GET http://h/p`) is reduced to it. */
export function originForm(target: string): OriginForm {
  if (target.startsWith('/') || target === '*') return { path: target, authority: undefined };
  try {
    const u = new URL(target);
    if (u.protocol === 'http:' || u.protocol === 'https:') return { path: `${u.pathname}${u.search}`, authority: u.host };
  } catch {
    // Not a URL: node's parser accepted it, pass it through unchanged.
  }
  return { path: target, authority: undefined };
}

/** Methods for which node's client would add `Transfer-Encoding: chunked` to a body-less request. */
const NO_DEFAULT_BODY: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

export interface RequestEditContext {
  readonly edits: ForwardEdits;
  readonly extra: HeaderList | undefined;
  /** Client address without port, for `X-Forwarded-For`. */
  readonly remoteAddress: string;
}

export interface H1RequestContext extends RequestEditContext {
  readonly method: string;
  /** Host header value to send (already resolved: override, client's, or the upstream authority). */
  readonly host: string;
  readonly framing: BodyFraming;
  /** Upgrade protocol to re-add with `Connection: Upgrade` (websockets); undefined for normal requests. */
  readonly upgrade: string | undefined;
}

/**
 * Upstream HTTP/1.1 request head for a client request, as a flat list for `http.request({ headers: [...] })`
 * (node then adds nothing but `Connection: keep-alive`). Order: Host, surviving client headers, re-added hop
 * headers, framing, `X-Forwarded-For`, `edits.add`, `extra`.
 */
export function h1RequestHeaders(raw: HeaderList, ctx: H1RequestContext): string[] {
  const listed = connectionListed(raw);
  const drop = ctx.edits.drop;
  const appendXff = ctx.edits.appendXff;
  const out: string[] = ['Host', ctx.host];
  let teTrailers = false;
  let xff: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (lower === 'host') continue;
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'te' && hasToken(value, 'trailers')) teTrailers = true;
      continue;
    }
    if (drop.has(lower) || listed?.has(lower) === true) continue;
    // A body-less request's `Content-Length: 0` is re-derived from the method below, as Go does.
    if (lower === 'content-length' && ctx.framing === 'none') continue;
    if (appendXff && lower === 'x-forwarded-for') {
      xff = xff === undefined ? value : `${xff}, ${value}`;
      continue;
    }
    out.push(name, value);
  }
  if (teTrailers) out.push('Te', 'trailers');
  if (ctx.upgrade !== undefined) out.push('Connection', 'Upgrade', 'Upgrade', ctx.upgrade);
  if (ctx.framing === 'chunked') out.push('Transfer-Encoding', 'chunked');
  // Go sends `Content-Length: 0` for body-less POST/PUT/PATCH; without it node would send an empty chunked body.
  else if (ctx.framing === 'none' && !NO_DEFAULT_BODY.has(ctx.method)) out.push('Content-Length', '0');
  if (appendXff) out.push('X-Forwarded-For', xff === undefined ? ctx.remoteAddress : `${xff}, ${ctx.remoteAddress}`);
  for (const v of ctx.edits.add) out.push(v);
  if (ctx.extra !== undefined) for (const v of ctx.extra) out.push(v);
  return out;
}

export interface H2RequestContext extends RequestEditContext {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
}

/** Appends a header to a node:http2 header object, keeping the first value of single-value headers. */
function appendH2(out: Record<string, string | string[]>, lower: string, value: string): void {
  const prev = out[lower];
  if (prev === undefined) out[lower] = value;
  else if (H2_SINGLE_VALUE.has(lower)) return;
  else if (typeof prev === 'string') out[lower] = [prev, value];
  else prev.push(value);
}

/** True if `name` is a header name node:http2 can send (a lower-cased RFC 9110 token). */
function isToken(name: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name);
}

function appendList(out: Record<string, string | string[]>, list: HeaderList): void {
  for (let i = 0; i + 1 < list.length; i += 2) {
    const lower = (list[i] ?? '').toLowerCase();
    // An invalid name would make node destroy the whole upstream session, not just fail this request.
    if (!isToken(lower) || H2_FORBIDDEN.has(lower)) continue;
    appendH2(out, lower, list[i + 1] ?? '');
  }
}

/**
 * Upstream h2c request headers for an HTTP/2 client request (`rawHeaders` of the server stream, pseudo-headers
 * included). Same edits as HTTP/1.1; connection-specific headers cannot exist in HTTP/2 and are never sent.
 */
export function h2RequestHeaders(raw: HeaderList, ctx: H2RequestContext): OutgoingHttpHeaders {
  const listed = connectionListed(raw);
  const drop = ctx.edits.drop;
  const appendXff = ctx.edits.appendXff;
  const out: Record<string, string | string[]> = {
    ':method': ctx.method,
    ':scheme': 'http',
    ':authority': ctx.authority,
    ':path': ctx.path,
  };
  let teTrailers = false;
  let xff: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    if (lower.startsWith(':')) continue;
    if (H2_FORBIDDEN.has(lower)) {
      if (lower === 'te' && hasToken(value, 'trailers')) teTrailers = true;
      continue;
    }
    if (drop.has(lower) || listed?.has(lower) === true) continue;
    if (appendXff && lower === 'x-forwarded-for') {
      xff = xff === undefined ? value : `${xff}, ${value}`;
      continue;
    }
    appendH2(out, lower, value);
  }
  if (teTrailers) out['te'] = 'trailers';
  if (appendXff) out['x-forwarded-for'] = xff === undefined ? ctx.remoteAddress : `${xff}, ${ctx.remoteAddress}`;
  appendList(out, ctx.edits.add);
  if (ctx.extra !== undefined) appendList(out, ctx.extra);
  return out;
}

export interface FilteredResponseHead {
  /** Surviving headers, flat, with the upstream's `Trailer` announcement re-added (Go does the same). */
  readonly headers: string[];
  /** True if upstream framed the body with `Content-Length`. */
  readonly contentLength: boolean;
}

/** Response headers from an HTTP/1.1 upstream, hop-by-hop ones removed (Go's `removeHopByHopHeaders(res.Header)`). */
export function h1ResponseHeaders(raw: HeaderList): FilteredResponseHead {
  const listed = connectionListed(raw);
  const headers: string[] = [];
  let trailer: string | undefined;
  let contentLength = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'trailer') trailer = trailer === undefined ? value : `${trailer}, ${value}`;
      continue;
    }
    if (listed?.has(lower) === true) continue;
    if (lower === 'content-length') contentLength = true;
    headers.push(name, value);
  }
  if (trailer !== undefined) headers.push('Trailer', trailer);
  return { headers, contentLength };
}

/**
 * Response (or trailer) headers from an h2c upstream as a node:http2 header object for the client stream, with
 * `:status` when given. Pseudo-headers and connection-specific headers are dropped.
 */
export function h2ResponseHeaders(raw: HeaderList, status: number | undefined): Record<string, string | string[]> {
  const listed = connectionListed(raw);
  const out: Record<string, string | string[]> = {};
  if (status !== undefined) out[':status'] = String(status);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = (raw[i] ?? '').toLowerCase();
    if (lower.startsWith(':') || H2_FORBIDDEN.has(lower) || listed?.has(lower) === true) continue;
    appendH2(out, lower, raw[i + 1] ?? '');
  }
  return out;
}

/** A locally generated response's headers as a node:http2 header object (names lower-cased, invalid ones dropped). */
export function h2LocalHeaders(status: number, headers: HeaderList): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { ':status': String(status) };
  appendList(out, headers);
  return out;
}

/** Flat list → the `[[name, value], ...]` form `ServerResponse.addTrailers` takes. */
export function pairs(raw: HeaderList): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] ?? '', raw[i + 1] ?? '']);
  return out;
}
