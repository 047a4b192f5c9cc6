/**
 * When a failed round trip proves the application never saw the request, so that it may be sent to another pod
 * (`UnreachableHandler`). Both engines decide with these two functions.
 */
import type { UnreachableCause } from './exchange.js';

/** A queue-proxy's 502 body this long at most is read before deciding (its dial error is one line). */
export const UNREACHABLE_BODY_MAX = 512;

/** The connection itself was refused: nothing of the request left this process. */
export function refusedConnect(err: unknown): boolean {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && typeof cur === 'object' && cur !== null; depth++) {
    if ((cur as { code?: unknown }).code === 'ECONNREFUSED') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * An upstream's answer that says it could not connect to its application: `502`, `X-Kdp-Error: upstream-unreachable`
 * and a body with Go's dial error (`dial tcp 127.0.0.1:8080: connect: connection refused`, written by
 * `describeUpstreamError`). A read or write error (`read tcp …: EOF`, reset) is not: the app may have seen the request.
 */
export function appUnreachableAnswer(status: number, cause: string | undefined, body: string): UnreachableCause | null {
  return status === 502 && cause === 'upstream-unreachable' && body.startsWith('dial tcp ') ? 'app-unreachable' : null;
}

/** The response head is worth holding back to read its body: it may be `appUnreachableAnswer`. */
export function maybeAppUnreachable(status: number, cause: string | undefined, contentLength: number): boolean {
  return status === 502 && cause === 'upstream-unreachable' && contentLength > 0 && contentLength <= UNREACHABLE_BODY_MAX;
}
