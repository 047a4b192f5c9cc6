import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Engine } from './engine.js';
import { Upstream } from '../http/upstream.js';
import type { Exchange, ForwardEdits, Outcome } from '../http/exchange.js';

const EDITS: ForwardEdits = { drop: new Set(['knative-serving-revision']), add: [], appendXff: true };

interface Fixture {
  engine: Http1Engine;
  port: number;
  app: http.Server;
  appPort: number;
  upstream: Upstream;
  finishes: { outcome: Outcome; status: number }[];
  appSockets: number;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fixture(
  appHandler: http.RequestListener,
  handler?: (ex: Exchange, f: Fixture) => void,
): Promise<Fixture> {
  const app = http.createServer(appHandler);
  app.keepAliveTimeout = 5000;
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const appPort = (app.address() as net.AddressInfo).port;
  const f = { app, appPort, finishes: [], appSockets: 0 } as unknown as Fixture;
  app.on('connection', () => f.appSockets++);
  f.upstream = new Upstream({ host: '127.0.0.1', port: appPort, maxIdle: 10 });
  f.engine = new Http1Engine({
    handler: (ex) => {
      ex.onFinish = (_e, outcome, status) => f.finishes.push({ outcome, status });
      if (handler !== undefined) handler(ex, f);
      else ex.forward(f.upstream, EDITS, undefined);
    },
  });
  f.port = await f.engine.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    await f.engine.close(100);
    f.upstream.close();
    app.closeAllConnections();
    await new Promise<void>((r) => app.close(() => r()));
  });
  return f;
}

/** Sends raw bytes, collects the raw response until the server closes or `until` matches. */
async function raw(port: number, data: string, until?: (s: string) => boolean): Promise<string> {
  const s = net.connect(port, '127.0.0.1');
  s.write(data);
  let out = '';
  s.setEncoding('latin1');
  await new Promise<void>((resolve) => {
    s.on('data', (d: string) => {
      out += d;
      if (until?.(out) === true) {
        s.destroy();
        resolve();
      }
    });
    s.on('close', () => resolve());
  });
  return out;
}

function get(port: number, path: string, headers: http.OutgoingHttpHeaders = {}, agent?: http.Agent): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Http1Engine fast path', () => {
  it('proxies a GET, strips hop-by-hop headers both ways, appends X-Forwarded-For, keeps Host', async () => {
    const f = await fixture((req, res) => {
      res.setHeader('Keep-Alive', 'timeout=5');
      res.setHeader('X-App', 'yes');
      res.end(JSON.stringify(req.headers));
    });
    const r = await get(f.port, '/hello?x=1', {
      Host: 'svc.example',
      'X-Forwarded-For': '10.0.0.1',
      'Proxy-Connection': 'keep-alive',
      Connection: 'close, X-Secret',
      'X-Secret': 'hop',
      'Knative-Serving-Revision': 'r1',
      'X-Keep': 'kept',
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-app']).toBe('yes');
    expect(r.headers['keep-alive']).toBeUndefined();
    const seen = JSON.parse(r.body) as Record<string, string>;
    expect(seen.host).toBe('svc.example');
    expect(seen['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(seen['proxy-connection']).toBeUndefined();
    expect(seen['x-secret']).toBeUndefined();
    expect(seen['knative-serving-revision']).toBeUndefined();
    expect(seen['x-keep']).toBe('kept');
    expect(f.finishes).toEqual([{ outcome: 'complete', status: 200 }]);
  });

  it('reuses one upstream connection across keep-alive requests and pipelined requests are answered in order', async () => {
    const f = await fixture((req, res) => res.end(req.url));
    const out = await raw(
      f.port,
      'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const bodies = out.split('\r\n\r\n').slice(1).map((s) => s.slice(0, 2));
    expect(bodies).toEqual(['/a', '/b', '/c']);
    expect(out).toContain('Connection: close');
    expect(f.appSockets).toBe(1);
    expect(f.finishes.map((x) => x.status)).toEqual([200, 200, 200]);
  });

  it('streams request bodies (Content-Length and chunked) to the app', async () => {
    const f = await fixture((req, res) => {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => res.end(`${String(n)} ${req.headers['transfer-encoding'] ?? 'cl'}`));
    });
    const body = 'x'.repeat(200_000);
    const a = await raw(f.port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${String(body.length)}\r\nConnection: close\r\n\r\n${body}`);
    expect(a).toMatch(/\r\n\r\n200000 cl$/);
    const b = await raw(f.port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n');
    expect(b).toMatch(/\r\n\r\n8 chunked$/);
  });

  it('flushes a streaming response before the app ends it', async () => {
    let finish: (() => void) | undefined;
    const f = await fixture((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: one\n\n');
      finish = () => res.end('data: two\n\n');
    });
    const s = net.connect(f.port, '127.0.0.1');
    s.write('GET /sse HTTP/1.1\r\nHost: x\r\n\r\n');
    s.setEncoding('latin1');
    let got = '';
    await new Promise<void>((resolve) =>
      s.on('data', (d: string) => {
        got += d;
        if (got.includes('data: one')) resolve();
      }),
    );
    expect(got).not.toContain('data: two');
    finish?.();
    await new Promise<void>((resolve) =>
      s.on('data', (d: string) => {
        got += d;
        if (got.includes('0\r\n\r\n')) resolve();
      }),
    );
    expect(got).toContain('data: two');
    s.destroy();
  });

  it('re-chunks a close-delimited upstream response and keeps the client connection', async () => {
    const app = net.createServer((c) => {
      c.once('data', () => c.end('HTTP/1.1 200 OK\r\nX-Raw: 1\r\n\r\nuntil-close'));
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const upstream = new Upstream({ host: '127.0.0.1', port: (app.address() as net.AddressInfo).port, maxIdle: 1 });
    const f = await fixture(() => undefined, (ex) => ex.forward(upstream, EDITS, undefined));
    cleanups.push(() => new Promise<void>((r) => app.close(() => r())));
    const out = await raw(f.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', (s) => s.endsWith('0\r\n\r\n'));
    expect(out).toContain('Transfer-Encoding: chunked');
    expect(out).toContain('b\r\nuntil-close\r\n0\r\n\r\n');
  });

  it('answers 502 naming the cause when the app is unreachable', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const upstream = new Upstream({ host: '127.0.0.1', port, maxIdle: 1 });
    const f = await fixture(() => undefined, (ex) => ex.forward(upstream, EDITS, undefined));
    const r = await get(f.port, '/');
    expect(r.status).toBe(502);
    expect(r.headers['x-kdp-error']).toBe('upstream-unreachable');
    expect(r.body).toBe(`dial tcp 127.0.0.1:${String(port)}: connect: connection refused\n`);
    expect(f.finishes).toEqual([{ outcome: 'upstream-error', status: 502 }]);
  });

  it('aborts the upstream request when the client goes away', async () => {
    let appClosed: () => void = () => undefined;
    const closed = new Promise<void>((r) => (appClosed = r));
    const f = await fixture((req) => {
      req.socket.on('close', appClosed);
    });
    const s = net.connect(f.port, '127.0.0.1');
    s.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(f.app, 'request');
    s.destroy();
    await closed;
    expect(f.finishes).toEqual([{ outcome: 'client-aborted', status: 0 }]);
  });

  it.each([
    ['Content-Length with chunked', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc', 400],
    ['conflicting Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400],
    ['non-numeric Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3x\r\n\r\nabc', 400],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n', 400],
    ['bare LF', 'GET / HTTP/1.1\nHost: x\r\n\r\n', 400],
    ['space in header name', 'GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n', 400],
    ['missing Host', 'GET / HTTP/1.1\r\nX: 1\r\n\r\n', 400],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['control character in value', 'GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n', 400],
    ['HTTP/2.0 request line', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
  ])('rejects %s before it reaches the app', async (_name, request, status) => {
    let reached = 0;
    const f = await fixture((_req, res) => {
      reached++;
      res.end();
    });
    const out = await raw(f.port, request);
    expect(out.startsWith(`HTTP/1.1 ${String(status)} `)).toBe(true);
    expect(out).toContain('Connection: close');
    expect(reached).toBe(0);
  });

  it('answers 431 for an oversized head', async () => {
    const f = await fixture((_req, res) => res.end());
    const out = await raw(f.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`);
    expect(out.startsWith('HTTP/1.1 431 ')).toBe(true);
  });

  it('lets the handler answer locally and keeps the connection', async () => {
    const f = await fixture(
      () => undefined,
      (ex) => ex.respond(503, ['Content-Type', 'text/plain', 'X-Kdp-Error', 'queue-full'], 'pending request queue full\n'),
    );
    const out = await raw(f.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(out.match(/HTTP\/1.1 503 Service Unavailable/g)?.length).toBe(2);
    expect(out).toContain('X-Kdp-Error: queue-full');
    expect(out).toContain('\r\n\r\npending request queue full\n');
  });

  it('times out before the response starts with 504 and the timeout header', async () => {
    const f = await fixture(
      () => undefined, // never answers
      (ex, fx) => {
        ex.setTimeouts({ totalMs: 150, responseStartMs: 0, idleMs: 0, message: 'request timeout' });
        ex.forward(fx.upstream, EDITS, undefined);
      },
    );
    const started = performance.now();
    const r = await get(f.port, '/');
    const took = performance.now() - started;
    expect(r.status).toBe(504);
    expect(r.body).toBe('request timeout');
    expect(r.headers['x-kdp-error']).toBe('timeout');
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1000);
    expect(f.finishes).toEqual([{ outcome: 'timeout', status: 504 }]);
  });

  it('appends the timeout message to a started chunked response', async () => {
    const f = await fixture(
      (_req, res) => {
        res.writeHead(200);
        res.write('partial ');
      },
      (ex, fx) => {
        ex.setTimeouts({ totalMs: 150, responseStartMs: 0, idleMs: 0, message: 'request timeout' });
        ex.forward(fx.upstream, EDITS, undefined);
      },
    );
    const r = await get(f.port, '/');
    expect(r.status).toBe(200);
    expect(r.body).toBe('partial request timeout');
  });

  it('idle timeout fires only after a gap in writes', async () => {
    const f = await fixture(
      (_req, res) => {
        res.writeHead(200);
        let n = 0;
        const t = setInterval(() => {
          res.write(String(n));
          if (++n === 5) {
            clearInterval(t);
            res.end('end');
          }
        }, 40);
      },
      (ex, fx) => {
        ex.setTimeouts({ totalMs: 0, responseStartMs: 0, idleMs: 150, message: 'request timeout' });
        ex.forward(fx.upstream, EDITS, undefined);
      },
    );
    const r = await get(f.port, '/');
    expect(r.body).toBe('01234end');
  });

  it('retries a bodyless request once when a pooled socket turns out stale', async () => {
    let n = 0;
    const f = await fixture((_req, res) => {
      n++;
      res.end(String(n));
    });
    f.app.keepAliveTimeout = 1; // the app closes idle sockets almost at once
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 5; i++) {
      const r = await get(f.port, '/', {}, agent);
      expect(r.status).toBe(200);
      await new Promise((res) => setTimeout(res, 5));
    }
    agent.destroy();
  });

  it('caps upstream connections: requests beyond the cap wait for a released socket, in order, and all succeed', async () => {
    let inflight = 0;
    let maxInflight = 0;
    const f = await fixture((req, res) => {
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      setTimeout(() => {
        inflight--;
        res.end(req.url);
      }, 10);
    });
    const capped = new Upstream({ host: '127.0.0.1', port: f.appPort, maxIdle: 2, maxConnections: 2 });
    const g = await fixture(() => undefined, (ex) => ex.forward(capped, EDITS, undefined));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => get(g.port, `/${String(i)}`)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(results.map((r) => r.body)).toEqual(Array.from({ length: 10 }, (_, i) => `/${String(i)}`));
    expect(f.appSockets).toBe(2);
    expect(maxInflight).toBe(2);
    capped.close();
  });

  it('a request waiting at the connection cap times out with 504 and leaves the queue', async () => {
    const f = await fixture(() => undefined); // the app never answers
    const capped = new Upstream({ host: '127.0.0.1', port: f.appPort, maxIdle: 1, maxConnections: 1 });
    const g = await fixture(() => undefined, (ex) => {
      if (ex.target !== '/hold') ex.setTimeouts({ totalMs: 100, responseStartMs: 0, idleMs: 0, message: 'request timeout' });
      ex.forward(capped, EDITS, undefined);
    });
    const hold = net.connect(g.port, '127.0.0.1');
    hold.write('GET /hold HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(f.app, 'request');
    const waited = await get(g.port, '/waits');
    expect(waited.status).toBe(504);
    expect(g.finishes.at(-1)).toEqual({ outcome: 'timeout', status: 504 });
    // Releasing the held connection must not hand it to the request that already timed out.
    hold.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(f.appSockets).toBe(1);
    expect(g.finishes.map((x) => x.outcome).sort()).toEqual(['client-aborted', 'timeout']);
    capped.close();
  });

  it('graceful close lets an in-flight request finish and refuses new connections', async () => {
    let release: () => void = () => undefined;
    const f = await fixture((_req, res) => {
      release = () => res.end('done');
    });
    const pending = get(f.port, '/');
    await once(f.app, 'request');
    const closing = f.engine.close(5000);
    release();
    const r = await pending;
    expect(r.body).toBe('done');
    expect(r.headers.connection).toBe('close');
    await closing;
    await expect(get(f.port, '/')).rejects.toThrow();
  });
});
