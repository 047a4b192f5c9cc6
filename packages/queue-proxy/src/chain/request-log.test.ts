import { describe, expect, it } from 'vitest';
import { RecordingExchange, RecordingStage } from '@kdp/core/http/recording-exchange.test-util';
import { RequestLogStage } from './request-log.js';
import { QueueRequest } from './request.js';

describe('RequestLogStage', () => {
  it('logs one line per request after the stages below finished', () => {
    const lines: [Record<string, unknown>, string][] = [];
    const log: string[] = [];
    const next = new RecordingStage(log);
    const stage = new RequestLogStage({ info: (fields, msg) => { lines.push([fields, msg]); log.push('log'); } }, next);
    const ex = new RecordingExchange();
    ex.method = 'POST';
    ex.target = '/x?y=1';
    ex.startedAt = performance.now();
    const p = new QueueRequest(ex, false, undefined, undefined, false);
    stage.serve(p);
    expect(lines).toEqual([]);
    stage.finish(p, 'timeout', 504, 0);
    expect(log).toEqual(['serve', 'finish', 'log']);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.[1]).toBe('request');
    expect(lines[0]?.[0]).toMatchObject({ method: 'POST', target: '/x?y=1', status: 504, outcome: 'timeout' });
    expect(lines[0]?.[0]['ms']).toBeGreaterThanOrEqual(0);
  });
});
