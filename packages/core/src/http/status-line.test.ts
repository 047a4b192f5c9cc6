import { describe, expect, it } from 'vitest';
import { statusLine } from './status-line.js';

describe('statusLine', () => {
  it.each([
    [200, 'HTTP/1.1 200 OK\r\n'],
    [100, 'HTTP/1.1 100 Continue\r\n'],
    [101, 'HTTP/1.1 101 Switching Protocols\r\n'],
    [103, 'HTTP/1.1 103 Early Hints\r\n'],
    [400, 'HTTP/1.1 400 Bad Request\r\n'],
    [431, 'HTTP/1.1 431 Request Header Fields Too Large\r\n'],
    [502, 'HTTP/1.1 502 Bad Gateway\r\n'],
    [503, 'HTTP/1.1 503 Service Unavailable\r\n'],
    [504, 'HTTP/1.1 504 Gateway Timeout\r\n'],
    [505, 'HTTP/1.1 505 HTTP Version Not Supported\r\n'],
    [599, 'HTTP/1.1 599 Unknown\r\n'],
  ])('%i → %j', (status, want) => {
    expect(statusLine(status)).toBe(want);
    // (the second call answers from the cache, with the same bytes)
    expect(statusLine(status)).toBe(want);
  });

  it('keeps answering correctly past the cache bound', () => {
    for (let s = 1000; s < 1400; s++) expect(statusLine(s)).toBe(`HTTP/1.1 ${String(s)} Unknown\r\n`);
    expect(statusLine(204)).toBe('HTTP/1.1 204 No Content\r\n');
  });
});
