/**
 * The per-request debug log (`KDP_REQUEST_LOG`; Knative's `requestLogHandler`): one line when a request ends, with
 * method, target, status, outcome and milliseconds since its head. Only in the chain when the flag is on, so with it
 * off the request path has no branch for it.
 */
import { performance } from 'node:perf_hooks';
import type { Outcome } from '@kdp/core';
import type { QueueRequest, RequestStage } from './request.js';

export interface RequestLogger {
  info(fields: Record<string, unknown>, msg: string): void;
}

export class RequestLogStage implements RequestStage {
  constructor(
    private readonly log: RequestLogger,
    private readonly next: RequestStage,
  ) {}

  serve(p: QueueRequest): void {
    this.next.serve(p);
  }

  finish(p: QueueRequest, outcome: Outcome, status: number, now: number): void {
    this.next.finish(p, outcome, status, now);
    const ex = p.ex;
    this.log.info(
      { method: ex.method, target: ex.target, status, outcome, ms: Math.round((performance.now() - ex.startedAt) * 1000) / 1000 },
      'request',
    );
  }
}
