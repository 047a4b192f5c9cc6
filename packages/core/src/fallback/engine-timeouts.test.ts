import http from 'node:http';
import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { Timeouts } from '../http/exchange.js';
import {
  gate,
  proxyTo,
  readH2,
  request,
  runCleanups,
  startH2Proxy,
  startUpstream,
  type Cleanup,
  type Proxy,
} from './harness.test-util.js';

const cleanups: Cleanup[] = [];
afterEach(() => runCleanups(cleanups));

const MSG = 'request timeout';
function t(over: Partial<Timeouts>): Timeouts {
  return { totalMs: 0, responseStartMs: 0, idleMs: 0, message: MSG, ...over };
}

async function setup(handler: http.RequestListener, timeouts: Timeouts): Promise<{ proxy: Proxy; upstreamGone: Promise<void> }> {
  const up = await startUpstream(handler);
  const gone = gate();
  up.server.on('request', (req: http.IncomingMessage) => req.socket.once('close', () => gone.open()));
  const proxy = await proxyTo(up, cleanups, { timeouts });
  return { proxy, upstreamGone: gone.promise };
}

/** Upstream that never answers. */
const hold: http.RequestListener = () => undefined;
/** Upstream that sends the head and `partial` (chunked), then holds. */
const partial: http.RequestListener = (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.write('partial');
};

describe('fallback engine timeouts (docs/contract/queue-proxy.md §3)', () => {
  it('T with nothing written: 504 with the message, upstream aborted', async () => {
    const { proxy, upstreamGone } = await setup(hold, t({ totalMs: 150 }));
    const r = await request(proxy.port);
    expect(r.status).toBe(504);
    expect(r.body).toBe(MSG);
    expect(r.headers['x-kdp-error']).toBe('timeout');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    await upstreamGone;
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'timeout', status: 504 });
  });

  it('T after the response started: 200 with the message appended to the partial body', async () => {
    const { proxy, upstreamGone } = await setup(partial, t({ totalMs: 150 }));
    const r = await request(proxy.port);
    expect(r.status).toBe(200);
    expect(r.body).toBe(`partial${MSG}`);
    await upstreamGone;
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'timeout', status: 200 });
  });

  it('T after a Content-Length response started: the client connection is aborted', async () => {
    const { proxy } = await setup((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('partial');
    }, t({ totalMs: 150 }));
    await expect(request(proxy.port)).rejects.toThrow();
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'timeout', status: 200 });
  });

  it('T after only a 1xx: 504 (a 1xx is not the final head)', async () => {
    const { proxy } = await setup((_req, res) => {
      res.writeEarlyHints({ link: '</x>; rel=preload' });
    }, t({ totalMs: 150 }));
    const r = await request(proxy.port);
    expect(r.informational.map((i) => i.statusCode)).toEqual([103]);
    expect(r.status).toBe(504);
  });

  it('RS with nothing written: 504', async () => {
    const { proxy } = await setup(hold, t({ totalMs: 5_000, responseStartMs: 150 }));
    const r = await request(proxy.port);
    expect(r.status).toBe(504);
    expect(r.body).toBe(MSG);
    const [f] = await proxy.finished(1);
    expect(f!.outcome).toBe('timeout');
  });

  it('RS is ignored once something was written; T still ends the response', async () => {
    // RS is generous (250 ms) so that a loaded machine still gets the upstream's head through before it.
    const { proxy } = await setup(partial, t({ totalMs: 800, responseStartMs: 250 }));
    const t0 = performance.now();
    const r = await request(proxy.port);
    expect(r.status).toBe(200);
    expect(r.body).toBe(`partial${MSG}`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(750);
  });

  it('I with nothing written: 504', async () => {
    const { proxy } = await setup(hold, t({ idleMs: 150 }));
    const r = await request(proxy.port);
    expect(r.status).toBe(504);
    expect(r.body).toBe(MSG);
  });

  it('I after a write and a gap: 200 with <partial>request timeout', async () => {
    const { proxy } = await setup((_req, res) => {
      res.writeHead(200);
      res.write('foo');
    }, t({ idleMs: 150 }));
    const r = await request(proxy.port);
    expect(r.status).toBe(200);
    expect(r.body).toBe(`foo${MSG}`);
  });

  it('I does not fire while writes keep arriving', async () => {
    const { proxy } = await setup((_req, res) => {
      res.writeHead(200);
      const parts = ['foo', 'bar', 'baz', 'test'];
      const next = (): void => {
        const p = parts.shift();
        if (p === undefined) res.end();
        else {
          res.write(p);
          setTimeout(next, 40);
        }
      };
      next();
    }, t({ idleMs: 400 }));
    const r = await request(proxy.port);
    expect(r.body).toBe('foobarbaztest');
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 200 });
  });

  it('a timeout firing after a local answer changes nothing', async () => {
    const { proxy } = await setup(hold, t({ totalMs: 50 }));
    const r = await request(proxy.port, { headers: { 'x-test-respond': '503' } });
    expect(r.status).toBe(503);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 503 });
  });
});

describe('fallback engine timeouts over HTTP/2', () => {
  function h2Setup(onStream: Parameters<typeof startH2Proxy>[0], timeouts: Timeouts): Promise<{ proxy: Proxy; client: http2.ClientHttp2Session }> {
    return startH2Proxy(onStream, cleanups, { timeouts });
  }

  async function read(stream: http2.ClientHttp2Stream): Promise<{ status: number; body: string }> {
    const { status, body } = await readH2(stream);
    return { status, body };
  }

  it('T with nothing written: 504', async () => {
    const { proxy, client } = await h2Setup((s) => s.on('error', () => undefined), t({ totalMs: 150 }));
    const r = await read(client.request({ ':path': '/' }));
    expect(r).toEqual({ status: 504, body: MSG });
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'timeout', status: 504 });
  });

  it('T after the response started: the message is appended', async () => {
    const { proxy, client } = await h2Setup((s) => {
      s.on('error', () => undefined);
      s.respond({ ':status': 200 });
      s.write('partial');
    }, t({ totalMs: 150 }));
    const r = await read(client.request({ ':path': '/' }));
    expect(r).toEqual({ status: 200, body: `partial${MSG}` });
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'timeout', status: 200 });
  });
});
