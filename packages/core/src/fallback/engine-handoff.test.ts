/**
 * The fallback behind the real fast path (`http1/engine.ts`), as the queue-proxy wires them: the fast path serves
 * plain HTTP/1.1 and hands everything else over on the same connection.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ExchangeHandler, Outcome, Protocol } from '../http/exchange.js';
import { Upstream } from '../http/upstream.js';
import { Http1Engine } from '../http1/engine.js';
import { createFallbackEngine } from './engine.js';
import {
  DEFAULT_EDITS,
  rawRequest,
  runCleanups,
  startH2Upstream,
  startUpstream,
  type Cleanup,
} from './harness.test-util.js';

const cleanups: Cleanup[] = [];
afterEach(() => runCleanups(cleanups));

interface Seen {
  protocol: Protocol;
  outcome: Outcome;
  status: number;
}

async function wire(upstreamPort: number): Promise<{ port: number; seen: Seen[] }> {
  const upstream = new Upstream({ host: '127.0.0.1', port: upstreamPort, maxIdle: 4 });
  const seen: Seen[] = [];
  const handler: ExchangeHandler = (ex) => {
    ex.onFinish = (e, outcome, status) => seen.push({ protocol: e.protocol, outcome, status });
    ex.forward(upstream, DEFAULT_EDITS, undefined);
  };
  const fallback = createFallbackEngine({ handler });
  const engine = new Http1Engine({ handler, fallback });
  const port = await engine.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    await engine.close(500);
    upstream.close();
  });
  return { port, seen };
}

describe('fast path → fallback hand-over', () => {
  it('serves plain HTTP/1.1, then Expect, HTTP/1.0-style and websocket requests through the fallback', async () => {
    const up = await startUpstream((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => res.end(`${req.method ?? ''} ${req.url ?? ''} ${body}`));
    });
    const wss = new WebSocketServer({ server: up.server });
    wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
    cleanups.push(async () => {
      wss.close();
      await up.stop();
    });
    const { port, seen } = await wire(up.port);

    // One keep-alive connection: a fast-path request, then one with Expect (handed over), then another.
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.write('GET /plain HTTP/1.1\r\nHost: h\r\n\r\n');
    s.write('POST /expect HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n');
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (got.includes('100 Continue')) {
          s.removeListener('data', check);
          resolve();
        }
      };
      s.on('data', check);
    });
    s.write('hiGET /after HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    await once(s, 'close');
    expect(got).toContain('GET /plain ');
    expect(got).toContain('POST /expect hi');
    expect(got).toContain('GET /after ');

    const old = await rawRequest(port, 'GET /old HTTP/1.0\r\nHost: h\r\n\r\n');
    expect(old).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*GET \/old $/);

    const ws = new WebSocket(`ws://127.0.0.1:${String(port)}/ws`);
    await once(ws, 'open');
    ws.send('ping');
    const [msg] = (await once(ws, 'message')) as [Buffer];
    expect(msg.toString()).toBe('ping');
    ws.close();
    await once(ws, 'close');

    await new Promise<void>((resolve) => {
      const poll = (): void => {
        if (seen.length >= 5) resolve();
        else setImmediate(poll);
      };
      poll();
    });
    expect(seen.map((x) => [x.protocol, x.status])).toEqual([
      ['HTTP/1.1', 200],
      ['HTTP/1.1', 200],
      ['HTTP/1.1', 200],
      ['HTTP/1.0', 200],
      ['HTTP/1.1', 101],
    ]);
  });

  it('hands h2c prior knowledge over to the HTTP/2 side', async () => {
    const up = await startH2Upstream((stream, headers) => {
      stream.respond({ ':status': 200 });
      stream.end(`h2 ${String(headers[':path'])}`);
    });
    cleanups.push(() => up.stop());
    const { port, seen } = await wire(up.port);
    const client = http2.connect(`http://127.0.0.1:${String(port)}`);
    cleanups.push(async () => {
      client.destroy();
      await Promise.resolve();
    });
    const req = client.request({ ':path': '/p' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    await once(req, 'end');
    expect(body).toBe('h2 /p');
    await once(req, 'close');
    expect(seen).toEqual([{ protocol: 'HTTP/2.0', outcome: 'complete', status: 200 }]);
  });
});

