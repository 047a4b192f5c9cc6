/**
 * The decisions docs/http1-rules.md describes that the head scanner (`head.ts`) leaves to the connection, as pure
 * functions of a parsed request head: what the fast path refuses (rule 2), what it hands to node:http, and what it
 * may send again on a fresh upstream connection (Replays). Table-tested in `rules.test.ts`.
 */
import { H2_PREFACE } from './head.js';
import type { Head, HeadError } from './head.js';

export const PREFACE_NONE = 0;
/** The bytes so far are the start of the HTTP/2 preface: wait for more. */
export const PREFACE_PARTIAL = 1;
export const PREFACE_WHOLE = 2;

/**
 * Whether the first bytes of a connection are h2c with prior knowledge (the HTTP/2 connection preface instead of a
 * request line), for node:http2.
 */
export function h2Preface(buf: Buffer): number {
  if (buf[0] !== 0x50 /* P */) return PREFACE_NONE;
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.compare(H2_PREFACE, 0, n, 0, n) !== 0) return PREFACE_NONE;
  return n < H2_PREFACE.length ? PREFACE_PARTIAL : PREFACE_WHOLE;
}

/** Why a request head that parsed cleanly is still refused, or null. */
export function refusalOf(req: Head): HeadError | null {
  if (req.method === 'CONNECT') {
    // A tunnel request: what follows its head is not HTTP, and a node:http app treats it as tunnel bytes while a
    // proxy reading it as a next request would disagree. No serverless app serves CONNECT; refuse and close.
    return 'connect-not-supported';
  }
  if (req.chunked) {
    // Only a single, exact `Transfer-Encoding: chunked` is accepted, as Go's server does (Knative's queue-proxy
    // answers 501 to any other coding list): `identity, chunked`, `gzip, chunked` or a repeated header are read
    // differently by different parsers. HTTP/1.0 has no Transfer-Encoding at all (RFC 9112 §6.1).
    if (req.otherTransferEncoding) return 'bad-transfer-encoding';
    if (req.versionMinor === 0) return 'transfer-encoding-http10';
  }
  return null;
}

/**
 * HTTP/1.0, `Upgrade` and `Expect` are served by node:http when a fallback is wired; without one they are served
 * on the fast path, where Upgrade and Expect are simply ignored (RFC 9110 allows it).
 */
export function wantsNodeHttp(req: Head): boolean {
  return req.versionMinor === 0 || req.hasUpgrade || req.hasExpect;
}

/**
 * Go's `Request.isReplayable` for a bodiless request: an idempotent method, or an idempotency key. The app may have
 * executed anything else before its keep-alive socket closed.
 */
export function replayable(req: Head): boolean {
  switch (req.method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
      return true;
    default:
      return req.get('idempotency-key') !== undefined || req.get('x-idempotency-key') !== undefined;
  }
}
