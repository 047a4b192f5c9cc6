/**
 * The timeout handler (`S:pkg/http/handler/timeout.go`, `NewTimeoutHandler` in mainHandler): arms the revision's
 * total, response-start and idle timeouts on the exchange, counted from here; the engine enforces them (504, or the
 * message appended once the response started; see `Timeouts` in `@kdp/core`).
 */
import type { ExchangeHandler, Timeouts } from '@kdp/core';

export function timeoutHandler(timeouts: Timeouts, next: ExchangeHandler): ExchangeHandler {
  return (ex) => {
    ex.setTimeouts(timeouts);
    next(ex);
  };
}
