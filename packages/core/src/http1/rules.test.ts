import { describe, expect, it } from 'vitest';
import { H2_PREFACE, Head, findHeadEnd, parseRequestHead } from './head.js';
import { PREFACE_NONE, PREFACE_PARTIAL, PREFACE_WHOLE, h2Preface, refusalOf, replayable, wantsNodeHttp } from './rules.js';

function request(raw: string): Head {
  const buf = Buffer.from(raw, 'latin1');
  const h = new Head();
  expect(parseRequestHead(h, buf, findHeadEnd(buf, 0))).toBeNull();
  return h;
}

describe('refusalOf', () => {
  it.each([
    ['GET / HTTP/1.1\r\nHost: h\r\n\r\n', null],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n', null],
    ['CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n', 'connect-not-supported'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 'bad-transfer-encoding'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 'bad-transfer-encoding'],
    ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 'transfer-encoding-http10'],
  ])('%j → %s', (raw, want) => {
    expect(refusalOf(request(raw))).toBe(want);
  });
});

describe('wantsNodeHttp', () => {
  it.each([
    ['GET / HTTP/1.1\r\nHost: h\r\n\r\n', false],
    ['GET / HTTP/1.0\r\n\r\n', true],
    ['GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', true],
    ['POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n', true],
  ])('%j → %s', (raw, want) => {
    expect(wantsNodeHttp(request(raw))).toBe(want);
  });
});

describe('replayable (Go: Request.isReplayable)', () => {
  it.each([
    ['GET', '', true],
    ['HEAD', '', true],
    ['OPTIONS', '', true],
    ['TRACE', '', true],
    ['POST', '', false],
    ['PUT', '', false],
    ['DELETE', '', false],
    ['PATCH', '', false],
    ['POST', 'Idempotency-Key: k\r\n', true],
    ['DELETE', 'x-idempotency-key: k\r\n', true],
  ])('%s %j → %s', (method, extra, want) => {
    expect(replayable(request(`${method} / HTTP/1.1\r\nHost: h\r\n${extra}\r\n`))).toBe(want);
  });
});

describe('h2Preface', () => {
  it.each([
    [H2_PREFACE.toString('latin1'), PREFACE_WHOLE],
    [`${H2_PREFACE.toString('latin1')}\x00\x00`, PREFACE_WHOLE],
    ['PRI * HTTP/2.0\r\n', PREFACE_PARTIAL],
    ['P', PREFACE_PARTIAL],
    ['PRI * HTTP/1.1\r\n', PREFACE_NONE],
    ['POST / HTTP/1.1\r\n', PREFACE_NONE],
    ['GET / HTTP/1.1\r\n', PREFACE_NONE],
  ])('%j → %i', (raw, want) => {
    expect(h2Preface(Buffer.from(raw, 'latin1'))).toBe(want);
  });
});
