/**
 * The hop-by-hop headers, one table for both engines: the fast path classifies them while it scans a head
 * (`http1/head.ts` `KIND_BY_NAME`) and the node:http fallback filters them from header lists (`fallback/headers.ts`).
 * Go's `hopHeaders` (`net/http/httputil/reverseproxy.go`), lower case: dropped by every proxy hop in both directions,
 * together with the names a `Connection` header lists (RFC 9110 §7.6.1).
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
