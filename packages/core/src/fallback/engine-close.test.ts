import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Exchange, Outcome } from '../http/exchange.js';
import { Upstream } from '../http/upstream.js';
import { createFallbackEngine } from './engine.js';
import {
  DEFAULT_EDITS,
  gate,
  proxyTo,
  request,
  runCleanups,
  startH2Proxy,
  startUpstream,
  startWsUpstream,
  turns,
  type Cleanup,
} from './harness.test-util.js';

const cleanups: Cleanup[] = [];
afterEach(() => runCleanups(cleanups));

function tracked<T>(p: Promise<T>): { done: () => boolean; promise: Promise<T> } {
  let isDone = false;
  void p.then(() => (isDone = true));
  return { done: () => isDone, promise: p };
}

describe('fallback engine close(graceMs)', () => {
  it('waits for an in-flight request, which gets Connection: close, then resolves', async () => {
    const release = gate();
    const arrived = gate();
    const up = await startUpstream((_req, res) => {
      arrived.open();
      void release.promise.then(() => res.end('done'));
    });
    const proxy = await proxyTo(up, cleanups);
    const pending = request(proxy.port);
    await arrived.promise;
    const closing = tracked(proxy.engine.close(5_000));
    await turns();
    expect(closing.done()).toBe(false);
    release.open();
    const r = await pending;
    expect(r.body).toBe('done');
    expect(r.headers.connection).toBe('close');
    await closing.promise;
    expect(proxy.engine.activeExchanges).toBe(0);
    expect(proxy.finishes.map((f) => f.outcome)).toEqual(['complete']);
  });

  it('closes idle keep-alive connections at once', async () => {
    const up = await startUpstream((_req, res) => res.end('x'));
    const proxy = await proxyTo(up, cleanups);
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(async () => {
      agent.destroy();
      await Promise.resolve();
    });
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: proxy.port, agent }, (res) => {
          const s = res.socket;
          res.resume();
          res.on('end', () => resolve(s));
        })
        .on('error', reject);
    });
    await proxy.finished(1);
    const closed = once(socket, 'close');
    await proxy.engine.close(5_000);
    await closed;
  });

  it('waits for an open websocket, then resolves', async () => {
    const proxy = await proxyTo(await startWsUpstream((ws) => ws.on('message', (d) => ws.send(d))), cleanups);
    const ws = new WebSocket(`ws://127.0.0.1:${String(proxy.port)}/`);
    await once(ws, 'open');
    const closing = tracked(proxy.engine.close(5_000));
    await turns();
    expect(closing.done()).toBe(false);
    // The tunnel still works while the engine drains.
    ws.send('still here');
    const [msg] = (await once(ws, 'message')) as [Buffer];
    expect(msg.toString()).toBe('still here');
    ws.close(1000);
    await closing.promise;
    expect(proxy.finishes.map((f) => [f.outcome, f.status])).toEqual([['complete', 101]]);
  });

  it('destroys what is left after graceMs; those exchanges finish with outcome timeout', async () => {
    const arrived = gate();
    const up = await startUpstream(() => arrived.open());
    const proxy = await proxyTo(up, cleanups);
    const pending = request(proxy.port);
    pending.catch(() => undefined);
    await arrived.promise;
    await proxy.engine.close(100);
    await expect(pending).rejects.toThrow();
    expect(proxy.finishes.map((f) => f.outcome)).toEqual(['timeout']);
    expect(proxy.counts.get(proxy.exchanges[0]!)).toBe(1);
    expect(proxy.engine.activeExchanges).toBe(0);
  });

  it('sends GOAWAY to HTTP/2 clients and lets open streams finish', async () => {
    const release = gate();
    const arrived = gate();
    const { proxy, client } = await startH2Proxy((stream) => {
      arrived.open();
      void release.promise.then(() => {
        stream.respond({ ':status': 200 });
        stream.end('h2 done');
      });
    }, cleanups);
    const goaway = once(client, 'goaway');
    const req = client.request({ ':path': '/' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    const ended = once(req, 'end');
    await arrived.promise;
    const closing = tracked(proxy.engine.close(5_000));
    await goaway;
    expect(closing.done()).toBe(false);
    release.open();
    await ended;
    expect(body).toBe('h2 done');
    await closing.promise;
    expect(proxy.finishes.map((f) => f.outcome)).toEqual(['complete']);
  });

  it('resolves at once with nothing in flight, and refuses connections adopted afterwards', async () => {
    const engine = createFallbackEngine({ handler: () => undefined });
    await engine.close(1_000);
    const server = net.createServer((s) => engine.adoptHttp1(s, Buffer.alloc(0)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(async () => {
      server.close();
      await Promise.resolve();
    });
    const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    c.on('error', () => undefined);
    await once(c, 'close');
  });
});

describe('onFinish exactly once', () => {
  it('holds across completions, local answers, upstream errors, client aborts and timeouts racing them', async () => {
    const up = await startUpstream((req, res) => {
      const mode = req.url ?? '/';
      if (mode === '/ok') res.end('ok');
      else if (mode === '/cut') {
        res.writeHead(200, { 'Content-Length': '10' });
        res.write('abc', () => res.socket?.destroy());
      } else if (mode === '/slow') {
        res.writeHead(200);
        res.write('x');
      }
    });
    const proxy = await proxyTo(up, cleanups, {
      timeouts: { totalMs: 100, responseStartMs: 0, idleMs: 0, message: 'request timeout' },
    });
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      jobs.push(request(proxy.port, { path: '/ok' }));
      jobs.push(request(proxy.port, { path: '/cut' }).catch(() => undefined));
      jobs.push(request(proxy.port, { path: '/slow' }));
      jobs.push(request(proxy.port, { path: '/hold' }));
      jobs.push(request(proxy.port, { headers: { 'x-test-respond': '429' } }));
      // The client gives up at about the moment T fires.
      jobs.push(
        new Promise<void>((resolve) => {
          const req = http.get({ host: '127.0.0.1', port: proxy.port, path: '/hold', agent: false });
          req.on('error', () => resolve());
          req.on('response', (res) => {
            res.resume();
            res.on('end', () => resolve());
          });
          setTimeout(() => req.destroy(), 100);
        }),
      );
    }
    await Promise.all(jobs);
    await proxy.finished(30);
    await turns();
    expect(proxy.finishes).toHaveLength(30);
    for (const ex of proxy.exchanges) expect(proxy.counts.get(ex)).toBe(1);
    expect(proxy.engine.activeExchanges).toBe(0);
    // Each kind of request ends the way it can, whichever side of a race it lands on: on a loaded machine a cut
    // response may lose to the 100 ms total timeout, which is still exactly one finish.
    const allowed: Record<string, readonly Outcome[]> = {
      '/ok': ['complete'],
      '/cut': ['upstream-error', 'timeout'],
      '/slow': ['timeout'],
      '/hold': ['timeout', 'client-aborted'],
      '/': ['complete'],
    };
    const byPath = new Map<string, Outcome[]>();
    for (const f of proxy.finishes) byPath.set(f.ex.target, [...(byPath.get(f.ex.target) ?? []), f.outcome]);
    expect([...byPath.keys()].sort()).toEqual(['/', '/cut', '/hold', '/ok', '/slow']);
    for (const [target, outcomes] of byPath) {
      for (const o of outcomes) expect(allowed[target], `${target}: ${o}`).toContain(o);
    }
    expect(byPath.get('/cut')).toHaveLength(5);
    expect(byPath.get('/hold')).toHaveLength(10);
  });

  it('answers 500 when the handler throws and reports the error', async () => {
    const up = await startUpstream((_req, res) => res.end());
    const upstream = new Upstream({ host: '127.0.0.1', port: up.port, maxIdle: 1 });
    const errors: unknown[] = [];
    const finished: [Exchange, Outcome, number][] = [];
    const engine = createFallbackEngine({
      handler: (ex) => {
        ex.onFinish = (e, o, s) => finished.push([e, o, s]);
        if (ex.target === '/boom') throw new Error('handler bug');
        ex.forward(upstream, DEFAULT_EDITS, undefined);
      },
      onHandlerError: (err) => errors.push(err),
    });
    const server = net.createServer((s) => engine.adoptHttp1(s, Buffer.alloc(0)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(async () => {
      server.close();
      await engine.close(1_000);
      upstream.close();
      await up.stop();
    });
    const r = await request((server.address() as net.AddressInfo).port, { path: '/boom' });
    expect(r.status).toBe(500);
    expect(r.headers['x-kdp-error']).toBe('handler-error');
    expect(errors).toHaveLength(1);
    expect(finished.map(([, o, s]) => [o, s])).toEqual([['complete', 500]]);
  });
});
