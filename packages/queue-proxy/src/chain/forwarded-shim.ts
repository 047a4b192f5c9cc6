/**
 * The forwarded shim (`S:pkg/queue/forwarded_shim.go#ForwardedShimHandler`): when the client sent no `Forwarded`
 * header, one is built from `X-Forwarded-For/-Host/-Proto` (`@kdp/core/forwarded`) and handed on as a header line to
 * add upstream; otherwise nothing is added. Knative sets it on the request; an `Exchange` is read-only, so the line
 * travels beside it.
 */
import { forwardedFromXff } from '@kdp/core/forwarded';
import type { Exchange, ExchangeHandler, HeaderList } from '@kdp/core';

/** A handler that is also given header lines to add to the upstream request (or `undefined`: none). */
export type ExtraHeadersHandler = (ex: Exchange, extra: HeaderList | undefined) => void;

export function forwardedShim(next: ExtraHeadersHandler): ExchangeHandler {
  return (ex) => {
    if (ex.header('forwarded') !== undefined) {
      next(ex, undefined);
      return;
    }
    const fwd = forwardedFromXff(ex.header('x-forwarded-for'), ex.header('x-forwarded-host'), ex.header('x-forwarded-proto'));
    next(ex, fwd === undefined ? undefined : ['Forwarded', fwd]);
  };
}
