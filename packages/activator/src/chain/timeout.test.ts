import { describe, expect, it } from 'vitest';
import { RevisionStat } from '../reporter.js';
import { RecordingExchange, RecordingStage } from '@kdp/core/http/recording-exchange.test-util';
import { testEntry } from './exchange.test-util.js';
import { ActivatorRequest } from './request.js';
import { TimeoutStage } from './timeout.js';

describe('TimeoutStage', () => {
  it("arms the revision's timeouts before passing the request on", () => {
    const { entry } = testEntry();
    const log: string[] = [];
    const next = new RecordingStage(log);
    const ex = new RecordingExchange();
    const p = new ActivatorRequest(ex, entry, new RevisionStat('ns/rev', 0), 0);
    new TimeoutStage(next).serve(p);
    expect(ex.timeouts).toEqual([entry.timeouts]);
    expect(ex.timeouts[0]).toBe(entry.timeouts);
    expect(next.served).toEqual([p]);
  });
});
