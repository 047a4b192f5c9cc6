import { describe, expect, it } from 'vitest';
import type { ForwardEdits } from '../http/exchange.js';
import {
  connectionListed,
  h1RequestHeaders,
  h1ResponseHeaders,
  h2RequestHeaders,
  h2ResponseHeaders,
  hasToken,
  originForm,
  requestFraming,
  upgradeType,
  type H1RequestContext,
} from './headers.js';

const edits: ForwardEdits = { drop: new Set(['knative-serving-revision']), add: ['X-Add', '1'], appendXff: true };

function h1(raw: string[], over: Partial<H1RequestContext> = {}): string[] {
  return h1RequestHeaders(raw, {
    edits,
    extra: undefined,
    remoteAddress: '10.0.0.1',
    method: 'GET',
    host: 'example.com',
    framing: 'none',
    upgrade: undefined,
    ...over,
  });
}

describe('hasToken / connectionListed / upgradeType', () => {
  it.each([
    ['keep-alive, Upgrade', 'upgrade', true],
    ['Upgrade', 'upgrade', true],
    ['upgrade-insecure', 'upgrade', false],
    [undefined, 'upgrade', false],
    ['trailers, deflate', 'trailers', true],
  ])('hasToken(%j, %s) = %s', (value, token, want) => {
    expect(hasToken(value, token)).toBe(want);
  });

  it('collects tokens of every Connection header, lower-cased', () => {
    expect([...(connectionListed(['Connection', 'X-A, x-b', 'connection', ' X-C ']) ?? [])]).toEqual(['x-a', 'x-b', 'x-c']);
    expect(connectionListed(['Host', 'h'])).toBeNull();
  });

  it.each([
    [['Connection', 'Upgrade', 'Upgrade', 'websocket'], 'websocket'],
    [['Connection', 'keep-alive', 'Upgrade', 'websocket'], undefined],
    [['Upgrade', 'websocket'], undefined],
  ])('upgradeType(%j) = %s', (raw, want) => {
    expect(upgradeType(raw)).toBe(want);
  });
});

describe('requestFraming', () => {
  it.each([
    [['Content-Length', '5'], 'length'],
    [['Content-Length', '0'], 'none'],
    [['Transfer-Encoding', 'chunked'], 'chunked'],
    [['Host', 'h'], 'none'],
  ])('%j → %s', (raw, want) => {
    expect(requestFraming(raw)).toBe(want);
  });
});

describe('h1RequestHeaders (Go ReverseProxy Director semantics)', () => {
  it('drops hop-by-hop headers, Connection-listed ones and edits.drop; appends add and extra', () => {
    const out = h1(
      [
        'Host', 'client.example',
        'Connection', 'keep-alive, X-Secret',
        'X-Secret', 's',
        'Keep-Alive', 'timeout=5',
        'Proxy-Connection', 'keep-alive',
        'Proxy-Authenticate', 'Basic',
        'Proxy-Authorization', 'Basic abc',
        'Trailer', 'X-T',
        'Upgrade', 'foo',
        'Knative-Serving-Revision', 'rev',
        'Accept', '*/*',
      ],
      { extra: ['X-Extra', 'e'] },
    );
    expect(out).toEqual([
      'Host', 'example.com',
      'Accept', '*/*',
      'X-Forwarded-For', '10.0.0.1',
      'X-Add', '1',
      'X-Extra', 'e',
    ]);
  });

  it('re-adds Te: trailers only when the client sent the trailers token', () => {
    expect(h1(['Te', 'deflate, trailers'])).toContain('Te');
    expect(h1(['Te', 'deflate'])).not.toContain('Te');
  });

  it('appends the peer to every prior X-Forwarded-For value', () => {
    const out = h1(['X-Forwarded-For', '1.1.1.1', 'X-Forwarded-For', '2.2.2.2, 3.3.3.3']);
    expect(out.slice(2, 4)).toEqual(['X-Forwarded-For', '1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.1']);
  });

  it('leaves X-Forwarded-For alone when appendXff is off', () => {
    const out = h1(['X-Forwarded-For', '1.1.1.1'], { edits: { ...edits, appendXff: false } });
    expect(out).toEqual(['Host', 'example.com', 'X-Forwarded-For', '1.1.1.1', 'X-Add', '1']);
  });

  it('adds no User-Agent when the client sent none', () => {
    expect(h1(['Accept', '*/*']).map((s) => s.toLowerCase())).not.toContain('user-agent');
  });

  it('re-adds Connection: Upgrade and Upgrade for upgrade requests', () => {
    const out = h1(['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'], { upgrade: 'websocket' });
    expect(out).toEqual([
      'Host', 'example.com',
      'Sec-WebSocket-Key', 'k',
      'Connection', 'Upgrade',
      'Upgrade', 'websocket',
      'X-Forwarded-For', '10.0.0.1',
      'X-Add', '1',
    ]);
  });

  it.each([
    ['POST', 'none', ['Content-Length', '0'], ['Content-Length', '0']],
    ['GET', 'none', ['Content-Length', '0'], []],
    ['PUT', 'chunked', ['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'chunked']],
    ['POST', 'length', ['Content-Length', '5'], ['Content-Length', '5']],
  ] as const)('%s with %s framing sends %j', (method, framing, raw, want) => {
    const out = h1([...raw], { method, framing, edits: { drop: new Set(), add: [], appendXff: false } });
    expect(out).toEqual(['Host', 'example.com', ...want]);
  });
});

describe('h1ResponseHeaders', () => {
  it('drops hop-by-hop and Connection-listed headers, re-announces Trailer, notes Content-Length', () => {
    const r = h1ResponseHeaders([
      'Connection', 'X-Internal',
      'X-Internal', '1',
      'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked',
      'Proxy-Authenticate', 'Basic',
      'Upgrade', 'h2c',
      'Trailer', 'X-Checksum',
      'Content-Type', 'text/plain',
    ]);
    expect(r).toEqual({ headers: ['Content-Type', 'text/plain', 'Trailer', 'X-Checksum'], contentLength: false });
    expect(h1ResponseHeaders(['Content-Length', '3']).contentLength).toBe(true);
  });
});

describe('h2RequestHeaders', () => {
  it('builds pseudo-headers, drops connection-specific ones, keeps the first of single-value headers', () => {
    const out = h2RequestHeaders(
      [
        ':method', 'POST',
        ':path', '/p',
        ':authority', 'client.example',
        ':scheme', 'http',
        'te', 'trailers',
        'content-type', 'a',
        'content-type', 'b',
        'cookie', 'a=1',
        'cookie', 'b=2',
        'knative-serving-revision', 'r',
      ],
      { edits, extra: ['Bad Name', 'x', 'Connection', 'close', 'X-Extra', 'e'], remoteAddress: '::1', method: 'POST', path: '/p', authority: 'upstream.example' },
    );
    expect(out).toEqual({
      ':method': 'POST',
      ':scheme': 'http',
      ':authority': 'upstream.example',
      ':path': '/p',
      'content-type': 'a',
      cookie: ['a=1', 'b=2'],
      te: 'trailers',
      'x-forwarded-for': '::1',
      'x-add': '1',
      'x-extra': 'e',
    });
  });

  it('filters response headers and adds :status', () => {
    expect(h2ResponseHeaders([':status', '200', 'content-type', 'x', 'connection', 'close'], 200)).toEqual({
      ':status': '200',
      'content-type': 'x',
    });
  });
});

describe('originForm', () => {
  it.each([
    ['/p?q=1', '/p?q=1', undefined],
    ['*', '*', undefined],
    ['http://example.com:8080/a/b?c=d', '/a/b?c=d', 'example.com:8080'],
    ['http://example.com', '/', 'example.com'],
  ])('%s → path %s, authority %s', (target, path, authority) => {
    expect(originForm(target)).toEqual({ path, authority });
  });
});
