/**
 * Regression tests for the fast path's framing rules (docs/http1-rules.md), one per defect found by the
 * differential run of issue 7: the app behind kdp must never see a request boundary kdp did not accept, nothing
 * may hang until the head timeout, and nothing that may have run is replayed.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Engine } from './engine.js';
import { Upstream } from '../http/upstream.js';
import { createFallbackEngine } from '../fallback/engine.js';
import type { Exchange, ExchangeHandler, ForwardEdits } from '../http/exchange.js';

const EDITS: ForwardEdits = { drop: new Set(), add: [], appendXff: true };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Seen {
  method: string;
  url: string;
  body: string;
  headers: string[];
}

/** A node:http app that records every request it parses, with its body. */
async function recordingApp(onRequest?: (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen) => void): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const app = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', body, headers: req.rawHeaders };
      seen.push(s);
      if (onRequest !== undefined) onRequest(req, res, s);
      else res.end(`ok ${s.method} ${s.url}`);
    });
  });
  app.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        app.closeAllConnections();
        app.close(() => r());
      }),
  );
  return { port: (app.address() as net.AddressInfo).port, seen };
}

/** A raw TCP upstream: records the bytes of each connection and answers with `respond`. */
async function rawUpstream(respond: (socket: net.Socket, received: string, connIndex: number) => void): Promise<{ port: number; conns: string[] }> {
  const conns: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const idx = conns.length;
    conns.push('');
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      conns[idx] += d;
      respond(socket, conns[idx] ?? '', idx);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, conns };
}

async function proxy(appPort: number, opts: { fallback?: boolean; handler?: ExchangeHandler } = {}): Promise<number> {
  const upstream = new Upstream({ host: '127.0.0.1', port: appPort, maxIdle: 10 });
  const handler: ExchangeHandler =
    opts.handler ??
    ((ex: Exchange) => {
      ex.setTimeouts({ totalMs: 10_000, responseStartMs: 0, idleMs: 0, message: 'request timeout' });
      ex.forward(upstream, EDITS, undefined);
    });
  const fallback = opts.fallback === true ? createFallbackEngine({ handler }) : null;
  const engine = new Http1Engine({ handler, fallback });
  const port = await engine.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    await engine.close(100);
    if (fallback !== null) await fallback.close(100);
    upstream.close();
  });
  return port;
}

/** Writes `parts` (with a pause between them), returns everything read until the server closes or `until`. */
async function exchange(port: number, parts: string[], until?: (s: string) => boolean, gapMs = 20): Promise<{ out: string; ms: number }> {
  const t0 = performance.now();
  const s = net.connect(port, '127.0.0.1');
  s.setEncoding('latin1');
  s.on('error', () => undefined);
  let out = '';
  const done = new Promise<void>((resolve) => {
    s.on('data', (d: string) => {
      out += d;
      if (until?.(out) === true) resolve();
    });
    s.on('close', () => resolve());
  });
  await once(s, 'connect');
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
    if (!s.destroyed) s.write(Buffer.from(parts[i] ?? '', 'latin1'));
  }
  const timer = setTimeout(() => s.destroy(), 5000);
  await done;
  clearTimeout(timer);
  s.destroy();
  return { out, ms: performance.now() - t0 };
}

const responses = (s: string): string[] => s.match(/HTTP\/1\.1 \d{3}/g) ?? [];

describe('framing headers are never removed by Connection (request smuggling)', () => {
  it('Connection: Content-Length keeps the body a body', async () => {
    const app = await recordingApp();
    const port = await proxy(app.port);
    const smuggled = 'GET /smug HTTP/1.1\r\nHost: x\r\n\r\n';
    const { out } = await exchange(
      port,
      [`POST /p HTTP/1.1\r\nHost: x\r\nConnection: Content-Length\r\nContent-Length: ${String(smuggled.length)}\r\n\r\n${smuggled}`],
      (o) => o.includes('ok POST /p'),
    );
    expect(responses(out)).toEqual(['HTTP/1.1 200']);
    expect(app.seen).toEqual([expect.objectContaining({ method: 'POST', url: '/p', body: smuggled })]);
  });

  it('Connection: Transfer-Encoding keeps a chunked body a body', async () => {
    const app = await recordingApp();
    const port = await proxy(app.port);
    const smuggled = 'GET /smug HTTP/1.1\r\nHost: x\r\n\r\n';
    const chunk = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
    const { out } = await exchange(
      port,
      [`POST /p HTTP/1.1\r\nHost: x\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`],
      (o) => o.includes('ok POST /p'),
    );
    expect(responses(out)).toEqual(['HTTP/1.1 200']);
    expect(app.seen).toEqual([expect.objectContaining({ method: 'POST', url: '/p', body: smuggled })]);
  });
});

describe('what kdp forwards, it forwards in canonical form', () => {
  it('a request with two Content-Length headers is refused even when they agree (node:http refuses it too)', async () => {
    const app = await recordingApp();
    const port = await proxy(app.port);
    const { out } = await exchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\nHost: x\r\n\r\n']);
    expect(responses(out)).toEqual(['HTTP/1.1 400']);
    expect(app.seen).toEqual([]);
  });

  it('Content-Length leaves as one canonical line', async () => {
    const up = await rawUpstream((s, got) => {
      if (got.endsWith('abc')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
    const port = await proxy(up.port);
    const { out } = await exchange(port, ['POST / HTTP/1.1\r\nHost: x\r\ncontent-LENGTH:   3  \r\n\r\nabc'], (o) => o.includes('\r\n\r\n'));
    expect(responses(out)).toEqual(['HTTP/1.1 200']);
    expect(up.conns[0]?.match(/content-length/gi)).toHaveLength(1);
    expect(up.conns[0]).toMatch(/\r\nContent-Length: 3\r\n[^]*\r\n\r\nabc$/);
  });

  it('a chunked body is re-framed: plain hex sizes, no extensions, trailers dropped', async () => {
    const up = await rawUpstream((s, got) => {
      if (got.endsWith('0\r\n\r\n')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
    const port = await proxy(up.port);
    const body = '5;name=value\r\nhello\r\n0006\r\n world\r\nA\r\n0123456789\r\n0;last\r\nX-Trailer: t\r\n\r\n';
    // Once in one segment with the head, once split across segments.
    await exchange(port, [`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`], (o) => o.includes('\r\n\r\n'));
    await exchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;na', 'me=value\r\nhel', `lo\r\n0006\r\n world\r\nA\r\n0123456789\r\n0;last\r\nX-Trai`, 'ler: t\r\n\r\n'], (o) => o.includes('\r\n\r\n'));
    const forwarded = up.conns.join('');
    const bodies = forwarded.split('\r\n\r\n').filter((_, i) => i % 2 === 1);
    expect(forwarded.match(/Transfer-Encoding: chunked\r\n/g)).toHaveLength(2);
    for (const b of bodies) expect(b).toBe('5\r\nhello\r\n6\r\n world\r\na\r\n0123456789\r\n0');
    expect(forwarded).not.toContain('X-Trailer');
    expect(forwarded).not.toContain('name=value');
  });

  it.each([
    ['whitespace after a chunk size', '5 \r\nhello\r\n0\r\n\r\n'],
    ['whitespace before a chunk size', ' 5\r\nhello\r\n0\r\n\r\n'],
    ['a control byte in a chunk extension', '5;a=\x01\r\nhello\r\n0\r\n\r\n'],
    ['a body ending in a bare LF', '5\r\nhello\r\n0\r\n\n'],
    ['a bare LF after chunk data', '5\r\nhello\n0\r\n\r\n'],
    ['a trailer without a colon', '0\r\nNoColon\r\n\r\n'],
    ['an obs-folded trailer', '0\r\nX-A: 1\r\n  fold\r\n\r\n'],
    ['a NUL in a trailer', '0\r\nX-A: a\x00b\r\n\r\n'],
    ['a space before a trailer colon', '0\r\nX-A : 1\r\n\r\n'],
    ['a Content-Length trailer', '0\r\nContent-Length: 5\r\n\r\n'],
    ['a Transfer-Encoding trailer', '0\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['a negative chunk size', '-5\r\nhello\r\n0\r\n\r\n'],
    ['a 0x-prefixed chunk size', '0x5\r\nhello\r\n0\r\n\r\n'],
  ])('refuses %s with 400 and a close, and the pipelined request behind it is not served', async (_name, body) => {
    const app = await recordingApp();
    const port = await proxy(app.port);
    const { out } = await exchange(port, [`POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}GET /b HTTP/1.1\r\nHost: x\r\n\r\n`]);
    expect(responses(out)).toEqual(['HTTP/1.1 400']);
    expect(out).toContain('Connection: close');
    expect(app.seen).toEqual([]);
  });

  it('a malformed chunk that arrives after the request was forwarded aborts the app side too; nothing else reaches it', async () => {
    let aborted = 0;
    const seenHeads: string[] = [];
    const app = http.createServer((req, res) => {
      seenHeads.push(`${req.method ?? ''} ${req.url ?? ''}`);
      req.on('error', () => aborted++);
      req.on('aborted', () => aborted++);
      req.resume();
      req.on('end', () => res.end('done'));
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { app.closeAllConnections(); app.close(() => r()); }));
    const port = await proxy((app.address() as net.AddressInfo).port);
    const { out } = await exchange(port, ['POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', '5 \r\nworld\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n'], undefined, 100);
    expect(responses(out)).toEqual(['HTTP/1.1 400']);
    await new Promise((r) => setTimeout(r, 50));
    expect(seenHeads).toEqual(['POST /a']);
    expect(aborted).toBeGreaterThan(0);
  });
});

describe('heads that can never end are refused at once', () => {
  it.each([
    ['bare LF line endings', 'GET /x HTTP/1.1\nHost: h\n\n'],
    ['CRLF lines ending in a bare LF', 'GET /x HTTP/1.1\r\nHost: h\r\n\n'],
    ['bare CR line endings', 'GET /x HTTP/1.1\rHost: h\r\r'],
    ['a bare CR inside the head', 'GET /x HTTP/1.1\r\nHost: h\rX: y\r\n'],
  ])('%s: 400 long before the head timeout', async (_name, request) => {
    const app = await recordingApp();
    const port = await proxy(app.port);
    const { out, ms } = await exchange(port, [request]);
    expect(responses(out)).toEqual(['HTTP/1.1 400']);
    expect(ms).toBeLessThan(2000);
    expect(app.seen).toEqual([]);
  });
});

describe('request targets, versions and transfer codings', () => {
  it.each([
    ['a target without a leading slash', 'GET foo HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a query-only target', 'GET ?a=1 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['raw non-ASCII bytes in the target', 'GET /caf\xe9 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['asterisk-form with GET', 'GET * HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['authority-form without CONNECT', 'GET x:80 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['Transfer-Encoding: identity, chunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n', 501],
    ['Transfer-Encoding: chunked twice', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 501],
    ['Transfer-Encoding: gzip', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 501],
    ['Transfer-Encoding: chunked followed by a tab', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n', 501],
    ['Transfer-Encoding on HTTP/1.0', 'POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['CONNECT (a tunnel: what follows is not HTTP)', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n', 405],
  ])('refuses %s (%s)', async (_name, request, status) => {
    const app = await recordingApp();
    const port = await proxy(app.port, { fallback: true });
    const { out } = await exchange(port, [request]);
    expect(responses(out)).toEqual([`HTTP/1.1 ${String(status)}`]);
    expect(app.seen).toEqual([]);
  });

  it.each([
    ['origin-form', 'GET /a?b=c HTTP/1.1', 'GET', '/a?b=c'],
    ['absolute-form', 'GET http://example.com/x HTTP/1.1', 'GET', 'http://example.com/x'],
    ['asterisk-form with OPTIONS', 'OPTIONS * HTTP/1.1', 'OPTIONS', '*'],
  ])('forwards %s', async (_name, line, method, url) => {
    const app = await recordingApp();
    const port = await proxy(app.port);
    const { out } = await exchange(port, [`${line}\r\nHost: x\r\n\r\n`], (o) => o.includes('ok '));
    expect(responses(out)).toEqual(['HTTP/1.1 200']);
    expect(app.seen.map((s) => [s.method, s.url])).toEqual([[method, url]]);
  });
});

describe('replays', () => {
  /** An upstream that serves the first request of each connection and drops the connection on the second. */
  async function closesOnSecondRequest(): Promise<{ port: number; heads: string[] }> {
    const heads: string[] = [];
    const perConn = new Map<net.Socket, number>();
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      let acc = '';
      socket.on('data', (d: Buffer) => {
        acc += d.toString('latin1');
        let i: number;
        while ((i = acc.indexOf('\r\n\r\n')) !== -1) {
          const head = acc.slice(0, i);
          acc = acc.slice(i + 4);
          heads.push(head.split('\r\n')[0] ?? '');
          const n = (perConn.get(socket) ?? 0) + 1;
          perConn.set(socket, n);
          if (n === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
          else socket.destroy();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return { port: (server.address() as net.AddressInfo).port, heads };
  }

  it.each([
    ['POST', {}, false],
    ['DELETE', {}, false],
    ['PATCH', {}, false],
    ['POST', { 'Idempotency-Key': 'k1' }, true],
    ['GET', {}, true],
    ['HEAD', {}, true],
    ['OPTIONS', {}, true],
  ] as const)('%s %j on a stale keep-alive socket: replayed = %s', async (method, headers, replayed) => {
    const up = await closesOnSecondRequest();
    const port = await proxy(up.port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const send = (m: string, path: string, extra: Record<string, string>): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: m, path, agent, headers: extra }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await send('GET', '/warm', {})).toBe(200); // leaves a pooled upstream socket behind
    const status = await send(method, '/r', headers);
    const sent = up.heads.filter((h) => h.startsWith(`${method} /r `)).length;
    if (replayed) {
      expect(status).toBe(200);
      expect(sent).toBe(2);
    } else {
      expect(status).toBe(502);
      expect(sent).toBe(1);
    }
  });
});

describe('an upstream that does not speak HTTP', () => {
  it('gets a 502 at once, not a 504 at the timeout', async () => {
    const up = await rawUpstream((s, got) => {
      if (got.includes('\r\n\r\n') && !got.includes('#sent')) s.write('SSH-2.0-OpenSSH_9.6\r\n');
    });
    const port = await proxy(up.port);
    const { out, ms } = await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n'], (o) => o.includes('\r\n\r\n'));
    expect(responses(out)).toEqual(['HTTP/1.1 502']);
    expect(out).toContain('X-Kdp-Error: upstream-unreachable');
    expect(ms).toBeLessThan(2000);
  });
});

describe('the fallback engine keeps a connection in order', () => {
  it('a pipelined request waits until the HTTP/1.0 keep-alive POST before it has been answered', async () => {
    const events: string[] = [];
    const app = await recordingApp((req, res, seen) => {
      events.push(`app got ${seen.method} ${seen.url}`);
      if (seen.method === 'POST') {
        setTimeout(() => {
          events.push('app answers POST');
          res.setHeader('Content-Length', 2);
          res.end('ok');
        }, 150);
      } else res.end('ok');
      void req;
    });
    const port = await proxy(app.port, { fallback: true });
    const { out } = await exchange(
      port,
      ['POST /first HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabcGET /second HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'],
      (o) => responses(o).length === 2 && o.endsWith('ok'),
    );
    expect(responses(out)).toHaveLength(2);
    expect(events).toEqual(['app got POST /first', 'app answers POST', 'app got GET /second']);
  });
});

describe('responses: framing is never removed or duplicated', () => {
  it.each([
    ['Connection: Content-Length', 'HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello', 'Content-Length: 5\r\n'],
    ['two identical Content-Length headers', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', 'Content-Length: 5\r\n'],
    ['Connection: Transfer-Encoding', 'HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 'Transfer-Encoding: chunked\r\n'],
  ])('%s: the client gets exactly one framing header and the connection stays usable', async (_name, response, framing) => {
    const up = await rawUpstream((s, got) => {
      const n = got.split('\r\n\r\n').length - 1;
      if (n > 0 && got.endsWith('\r\n\r\n')) for (let i = 0; i < 1; i++) s.write(response);
    });
    const port = await proxy(up.port);
    const { out } = await exchange(port, ['GET /1 HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /2 HTTP/1.1\r\nHost: x\r\n\r\n'], (o) => responses(o).length === 2 && /(hello|0\r\n\r\n)$/.test(o), 100);
    expect(responses(out)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
    const heads = out.split(/HTTP\/1\.1 200 OK\r\n/).slice(1).map((r) => r.slice(0, r.indexOf('\r\n\r\n') + 2));
    for (const h of heads) {
      expect(h.match(/content-length|transfer-encoding/gi)).toHaveLength(1);
      expect(h).toContain(framing);
    }
  });

  it('a response with a transfer coding other than chunked is a 502, as in Go', async () => {
    const up = await rawUpstream((s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'));
    const port = await proxy(up.port);
    const { out } = await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n'], (o) => o.includes('\r\n\r\n'));
    expect(responses(out)).toEqual(['HTTP/1.1 502']);
  });
});
