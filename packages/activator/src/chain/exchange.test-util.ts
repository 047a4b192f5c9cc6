/**
 * The activator's stage-test fixtures; the recording `Exchange` and next stage both services' stage tests use are
 * core's (`@kdp/core/http/recording-exchange.test-util`).
 */
import { Upstream } from '@kdp/core';
import { NOOP_REVISION_METRICS } from '../metrics.js';
import type { RevisionMetrics } from '../metrics.js';
import { RevisionEntry } from '../revisions.js';
import { RevisionThrottler } from '../throttler.js';

/** A revision entry with a real throttler and recorded request metrics; `pods` ready pods on fake addresses. */
export function testEntry(opts: { cc?: number; pods?: number; maxBuffered?: number } = {}): {
  entry: RevisionEntry;
  observed: [number, number][];
} {
  const observed: [number, number][] = [];
  const metrics: RevisionMetrics = { ...NOOP_REVISION_METRICS, observeRequest: (status, seconds) => observed.push([status, seconds]) };
  const throttler = new RevisionThrottler({ containerConcurrency: opts.cc ?? 1, ...(opts.maxBuffered === undefined ? {} : { maxBuffered: opts.maxBuffered }) });
  for (let i = 0; i < (opts.pods ?? 0); i++) {
    throttler.addPod(`pod-${String(i)}`, new Upstream({ host: `10.0.0.${String(i + 1)}`, port: 8012, maxIdle: 1 }));
  }
  const timeouts = { totalMs: 300_000, responseStartMs: 0, idleMs: 0, message: 'activator request timeout' };
  return { entry: new RevisionEntry('ns/rev', 'ns', 'rev', opts.cc ?? 1, timeouts, throttler, metrics), observed };
}
