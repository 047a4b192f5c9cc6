import { Breaker } from '@kdp/core/breaker';
import { describe, expect, it } from 'vitest';
import { BreakerStage } from './breaker.js';
import { RecordingExchange, RecordingStage } from '@kdp/core/http/recording-exchange.test-util';
import { QueueRequest } from './request.js';

const QUEUE_FULL_HEADERS = ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff', 'X-Kdp-Error', 'queue-full'];

function req(): QueueRequest {
  return new QueueRequest(new RecordingExchange(), false, undefined, undefined, false);
}

describe('BreakerStage', () => {
  it('passes on up to the concurrency, queues up to the depth, rejects beyond with 503 queue-full', () => {
    const breaker = new Breaker({ queueDepth: 1, maxConcurrency: 1, initialCapacity: 1 });
    const next = new RecordingStage();
    const stage = new BreakerStage(breaker, next);
    const [a, b, c] = [req(), req(), req()];
    stage.serve(a);
    stage.serve(b);
    stage.serve(c);
    expect(next.served).toEqual([a]);
    // In flight counts the queued one too (Knative's InFlight).
    expect(breaker.inFlight).toBe(2);
    expect((c.ex as RecordingExchange).answers).toEqual([{ status: 503, headers: QUEUE_FULL_HEADERS, body: 'pending request queue full\n' }]);
    expect((b.ex as RecordingExchange).answers).toEqual([]);

    // a ends: its slot goes to b at once, in the same turn.
    stage.finish(a, 'complete', 200, 1);
    expect(next.served).toEqual([a, b]);
    expect(next.finished.map((f) => f.p)).toEqual([a]);
    expect(breaker.inFlight).toBe(1);
    stage.finish(b, 'complete', 200, 2);
    expect(breaker.inFlight).toBe(0);
    // c was rejected: finishing it releases nothing.
    stage.finish(c, 'complete', 503, 3);
    expect(breaker.inFlight).toBe(0);
  });

  it('a queued request that ends (timeout, client gone) leaves the queue and never goes on', () => {
    const breaker = new Breaker({ queueDepth: 1, maxConcurrency: 1, initialCapacity: 1 });
    const next = new RecordingStage();
    const stage = new BreakerStage(breaker, next);
    const [a, b, c] = [req(), req(), req()];
    stage.serve(a);
    stage.serve(b);
    stage.finish(b, 'timeout', 504, 1);
    // b's place is free again: c queues instead of being rejected.
    stage.serve(c);
    expect((c.ex as RecordingExchange).answers).toEqual([]);
    stage.finish(a, 'complete', 200, 2);
    expect(next.served).toEqual([a, c]);
  });
});
