/**
 * The concurrency reporter's handler (Knative `pkg/activator/handler/concurrency_reporter.go`, `Handler`): the
 * request is counted in for its revision when it arrives, buffered time included, and out when it ends, whatever
 * the outcome (`reporter.ts` turns the counts into the autoscaler's stats). Here the request also gets its record
 * (`ActivatorRequest`), which becomes `Exchange.state`, and one `onFinish` built at setup ends it through every
 * stage below.
 */
import type { Exchange, Outcome } from '@kdp/core';
import type { Clock } from '../clock.js';
import type { ConcurrencyReporter } from '../reporter.js';
import { ActivatorRequest } from './request.js';
import type { EntryHandler, RequestStage } from './request.js';

export function concurrencyReporter(reporter: ConcurrencyReporter, clock: Clock, next: RequestStage): EntryHandler {
  const onFinish = (ex: Exchange, outcome: Outcome, status: number): void => {
    const p = ex.state as ActivatorRequest;
    const now = clock.now();
    next.finish(p, outcome, status, now);
    reporter.reqOut(p.stat, now);
  };

  return (ex, entry) => {
    const now = clock.now();
    const p = new ActivatorRequest(ex, entry, reporter.reqIn(entry.key, now), now);
    ex.state = p;
    ex.onFinish = onFinish;
    next.serve(p);
  };
}
