import { describe, expect, it } from 'vitest';
import { describeUpstreamError, isStaleConnectionError } from './upstream-error.js';

function err(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

describe('describeUpstreamError', () => {
  it.each([
    [err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8080'), 'dial tcp 127.0.0.1:8080: connect: connection refused'],
    [err('ERR_HTTP2_STREAM_CANCEL', 'canceled', err('ECONNREFUSED', 'x')), 'dial tcp 127.0.0.1:8080: connect: connection refused'],
    [err('ETIMEDOUT', 'timed out'), 'dial tcp 127.0.0.1:8080: i/o timeout'],
    [err('ECONNRESET', 'socket hang up'), 'read tcp 127.0.0.1:8080: EOF (upstream closed the connection before responding)'],
    [err('ECONNRESET', 'read ECONNRESET'), 'read tcp 127.0.0.1:8080: read: connection reset by peer'],
    [new Error('odd'), 'upstream 127.0.0.1:8080: odd'],
  ])('%s', (e, want) => {
    expect(describeUpstreamError(e, '127.0.0.1:8080')).toBe(want);
  });

  it('treats resets and broken pipes as stale pooled connections', () => {
    expect(isStaleConnectionError(err('ECONNRESET', 'socket hang up'))).toBe(true);
    expect(isStaleConnectionError(err('EPIPE', 'x'))).toBe(true);
    expect(isStaleConnectionError(err('ECONNREFUSED', 'x'))).toBe(false);
  });
});
