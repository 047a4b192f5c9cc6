// The delivery spec of a Broker or Trigger (knative/eventing pkg/apis/duck/v1/delivery_types.go) and the retry
// policy it gives (pkg/kncloudevents/retries.go): which outcomes are retried, how long to wait, per-attempt timeout.

/** The `delivery` object as written in YAML/JSON; everything optional. */
export interface DeliverySpec {
  deadLetterSink?: { uri?: string; ref?: { kind: string; name: string; namespace?: string; apiVersion?: string } };
  retry?: number;
  backoffPolicy?: 'linear' | 'exponential';
  backoffDelay?: string;
  timeout?: string;
  retryAfterMax?: string;
}

/** What the dispatcher runs with, resolved once when a Trigger is configured. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retry: number;
  readonly policy: 'linear' | 'exponential';
  readonly delayMs: number;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Honour `Retry-After` of a 429/503 up to this long; undefined: ignore it (Knative's opt-in). */
  readonly retryAfterMaxMs: number | undefined;
}

/**
 * Knative's default broker delivery (config/core/configmaps/default-broker.yaml): retry 10, exponential, PT0.2S.
 * Knative sets no per-attempt timeout by default; kdp bounds every wait, so an attempt gets 5 minutes unless told.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  retry: 10,
  policy: 'exponential',
  delayMs: 200,
  timeoutMs: 300_000,
  retryAfterMaxMs: undefined,
});

/**
 * ISO-8601 duration (`PT0.2S`, `P1DT2H`, `PT1M30S`, `P2W`) in milliseconds, as rickb777/date `period.Parse`
 * (what Knative uses) accepts it; undefined if it does not parse. Years and months count as 365 and 30 days.
 */
export function parseIsoDuration(s: string): number | undefined {
  const m = /^([-+]?)P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/.exec(s);
  if (m === null || s.endsWith('T') || s === 'P' || /^[-+]?P$/.test(s)) return undefined;
  const n = (i: number): number => {
    const v = m[i];
    return v === undefined ? 0 : Number(v.replace(',', '.'));
  };
  const ms = (((n(2) * 365 + n(3) * 30 + n(4) * 7 + n(5)) * 24 + n(6)) * 60 + n(7)) * 60_000 + n(8) * 1000;
  return m[1] === '-' ? -ms : Math.round(ms);
}

/** Every problem of a delivery spec, with Knative's field paths (delivery_types.go `Validate`). */
export function deliveryProblems(d: DeliverySpec, path: string): { message: string; path: string }[] {
  const out: { message: string; path: string }[] = [];
  if (d.retry !== undefined && (!Number.isInteger(d.retry) || d.retry < 0)) out.push({ message: `invalid value: ${String(d.retry)}`, path: `${path}.retry` });
  if (d.backoffPolicy !== undefined && d.backoffPolicy !== 'linear' && d.backoffPolicy !== 'exponential') {
    out.push({ message: `invalid value: ${String(d.backoffPolicy)}`, path: `${path}.backoffPolicy` });
  }
  for (const k of ['backoffDelay', 'timeout', 'retryAfterMax'] as const) {
    const v = d[k];
    if (v === undefined) continue;
    const ms = typeof v === 'string' ? parseIsoDuration(v) : undefined;
    if (ms === undefined || ms < 0) out.push({ message: `invalid value: ${String(v)}`, path: `${path}.${k}` });
  }
  const dls = d.deadLetterSink;
  if (dls !== undefined && dls.uri === undefined && dls.ref === undefined) out.push({ message: 'expected exactly one, got neither', path: `${path}.deadLetterSink.ref, ${path}.deadLetterSink.uri` });
  return out;
}

/** The policy of a valid spec; a Trigger's delivery replaces its Broker's as a whole (only one is passed). */
export function retryPolicyOf(d: DeliverySpec | undefined): RetryPolicy {
  if (d === undefined) return DEFAULT_RETRY_POLICY;
  const delayMs = d.backoffDelay === undefined ? undefined : parseIsoDuration(d.backoffDelay);
  const timeoutMs = d.timeout === undefined ? undefined : parseIsoDuration(d.timeout);
  const retryAfterMaxMs = d.retryAfterMax === undefined ? undefined : parseIsoDuration(d.retryAfterMax);
  return Object.freeze({
    // Knative: no `retry` means no retries once a delivery spec is given (RetryConfigFromDeliverySpec).
    retry: d.retry ?? 0,
    policy: d.backoffPolicy ?? 'exponential',
    delayMs: delayMs ?? DEFAULT_RETRY_POLICY.delayMs,
    timeoutMs: timeoutMs === undefined || timeoutMs <= 0 ? DEFAULT_RETRY_POLICY.timeoutMs : timeoutMs,
    retryAfterMaxMs,
  });
}

/**
 * Knative's `SelectiveRetry`: network errors (status 0 here), 404, 408, 409, 429 and every 5xx are retried; other
 * 4xx, 3xx and 1xx are not.
 */
export function isRetryable(status: number): boolean {
  return status === 0 || status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}

/**
 * Wait before retry number `retryNumber` (1 for the first retry). go-retryablehttp, which Knative's dispatcher
 * runs, hands the backoff function the 0-based loop index, so the first exponential retry waits `delay` and the
 * first linear one does not wait: delay × 2^(n−1) and delay × (n−1).
 */
export function backoffMs(p: RetryPolicy, retryNumber: number, retryAfterMs: number | undefined): number {
  const i = retryNumber - 1;
  const backoff = p.policy === 'exponential' ? p.delayMs * 2 ** i : p.delayMs * i;
  if (p.retryAfterMaxMs === undefined || retryAfterMs === undefined) return backoff;
  return Math.max(backoff, Math.min(retryAfterMs, p.retryAfterMaxMs));
}

/** `Retry-After` as seconds or an HTTP date, in ms from `nowMs`; undefined if absent or unreadable. */
export function parseRetryAfter(v: string | undefined, nowMs: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}
