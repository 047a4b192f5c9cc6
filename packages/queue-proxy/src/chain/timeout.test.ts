import { describe, expect, it } from 'vitest';
import type { Exchange, Timeouts } from '@kdp/core';
import { RecordingExchange } from '@kdp/core/http/recording-exchange.test-util';
import { timeoutHandler } from './timeout.js';

describe('timeoutHandler', () => {
  it('arms the revision timeouts once, before passing the request on', () => {
    const timeouts: Timeouts = { totalMs: 300_000, responseStartMs: 0, idleMs: 5_000, message: 'request timeout' };
    const seen: { ex: Exchange; armed: number }[] = [];
    const handler = timeoutHandler(timeouts, (ex) => seen.push({ ex, armed: (ex as RecordingExchange).timeouts.length }));
    const ex = new RecordingExchange();
    handler(ex);
    expect(ex.timeouts).toEqual([timeouts]);
    expect(ex.timeouts[0]).toBe(timeouts);
    expect(seen).toEqual([{ ex, armed: 1 }]);
    expect(ex.answers).toEqual([]);
  });
});
