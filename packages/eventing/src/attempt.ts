// One delivery attempt and what came of it, independent of where the event is kept (both engines use it): the event
// in binary mode without the TTL, `Prefer: reply` and `Kn-Namespace`, the knativeerror* extensions towards a
// dead-letter sink; a 2xx that carries a CloudEvent is a reply, one that is no CloudEvent at all is a success
// (event_dispatcher.go: "Response is a non event, discard it"), a malformed one a failure with 502.

import { binaryHeaders, fromBinary, fromStructured, InvalidEventError, STRUCTURED_CONTENT_TYPE, type CloudEvent } from './cloudevent.js';
import { parseRetryAfter } from './delivery.js';
import type { Sender, SendResult, Target } from './sender.js';

export const TTL_EXTENSION = 'knativebrokerttl';
const ERROR_DATA_MAX = 1024;

export type Outcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'reply'; readonly event: CloudEvent }
  | { readonly kind: 'failure'; readonly status: number; readonly error: string; readonly retryAfterMs: number | undefined };

/** The knativeerror* extensions of a failed delivery, for the dead-letter sink. */
export interface FailureInfo {
  readonly dest: string;
  readonly code: number;
  readonly data: string;
}

export function attemptDelivery(
  sender: Sender,
  target: Target,
  event: CloudEvent,
  namespace: string,
  timeoutMs: number,
  failure: FailureInfo | undefined,
  cb: (o: Outcome) => void,
): void {
  const headers = binaryHeaders(event, TTL_EXTENSION);
  headers.push('prefer', 'reply', 'kn-namespace', namespace);
  if (failure !== undefined) {
    headers.push('ce-knativeerrordest', failure.dest, 'ce-knativeerrorcode', String(failure.code));
    const data = Buffer.from(failure.data, 'utf8').toString('base64').slice(0, ERROR_DATA_MAX);
    if (data !== '') headers.push('ce-knativeerrordata', data);
  }
  sender.send(target, headers, event.data, timeoutMs, (r) => cb(classify(r, failure === undefined)));
}

function classify(r: SendResult, repliesAllowed: boolean): Outcome {
  if (r.status >= 200 && r.status < 300) {
    if (!repliesAllowed || r.status === 202) return { kind: 'success' };
    const ct = first(r.headers['content-type']) ?? '';
    try {
      if (r.headers['ce-specversion'] !== undefined) return { kind: 'reply', event: fromBinary(r.headers, r.body) };
      if (ct.toLowerCase().startsWith(STRUCTURED_CONTENT_TYPE)) return { kind: 'reply', event: fromStructured(r.body) };
    } catch (err) {
      if (err instanceof InvalidEventError) return { kind: 'failure', status: 502, error: `invalid reply event: ${err.message}`, retryAfterMs: undefined };
      throw err;
    }
    return { kind: 'success' };
  }
  const retryAfterMs = r.status === 429 || r.status === 503 ? parseRetryAfter(first(r.headers['retry-after']), Date.now()) : undefined;
  const error = r.status === 0 ? (r.error ?? 'dispatch error') : r.body.toString('utf8');
  return { kind: 'failure', status: r.status, error: error.slice(0, ERROR_DATA_MAX), retryAfterMs };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
