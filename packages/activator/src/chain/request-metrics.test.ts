import { describe, expect, it } from 'vitest';
import type { Outcome } from '@kdp/core';
import { RevisionStat } from '../reporter.js';
import { RecordingExchange, RecordingStage } from '@kdp/core/http/recording-exchange.test-util';
import { testEntry } from './exchange.test-util.js';
import { ActivatorRequest } from './request.js';
import { RequestMetricsStage } from './request-metrics.js';

const STAT = new RevisionStat('ns/rev', 0);

describe('RequestMetricsStage', () => {
  it.each<[Outcome, number, number]>([
    ['complete', 200, 200],
    ['upstream-error', 200, 502],
    ['upstream-error', 502, 502],
    ['timeout', 504, 504],
    ['client-aborted', 0, 0],
  ])('%s with status %i: recorded as %i with seconds since arrival, after the stages below', (outcome, status, want) => {
    const { entry, observed } = testEntry();
    const next = new RecordingStage();
    const stage = new RequestMetricsStage(next);
    const p = new ActivatorRequest(new RecordingExchange(), entry, STAT, 1000);
    stage.serve(p);
    expect(next.served).toEqual([p]);
    stage.finish(p, outcome, status, 3500);
    expect(next.finished).toHaveLength(1);
    expect(observed).toEqual([[want, 2.5]]);
  });
});
