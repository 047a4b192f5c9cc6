/**
 * When an exchange's timeouts fire (`Exchange.setTimeouts`), checked by the engine's coarse sweep rather than by a
 * timer per request. Knative's three: the whole request (`timeoutSeconds`), the time to the first response byte
 * (`responseStartTimeoutSeconds`), and the time without a byte written to the client (`idleTimeoutSeconds`), which
 * before the response starts counts from the start (S:pkg/http/handler/timeout.go). A limit of 0 is off.
 */
import type { Timeouts } from '../http/exchange.js';

/** `elapsed`: ms since the timeouts were armed; `sinceWrite`: ms since the last byte to the client. */
export function timeoutDue(t: Timeouts, elapsed: number, responseStarted: boolean, sinceWrite: number): boolean {
  if (t.totalMs > 0 && elapsed >= t.totalMs) return true;
  if (t.responseStartMs > 0 && !responseStarted && elapsed >= t.responseStartMs) return true;
  return t.idleMs > 0 && (responseStarted ? sinceWrite : elapsed) >= t.idleMs;
}
