import http from 'node:http';
import net from 'node:net';
import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  proxyTo,
  rawRequest,
  runCleanups,
  startH2Upstream,
  startRawUpstream,
  startUpstream,
  startWsUpstream,
  type Cleanup,
  type Proxy,
} from './harness.test-util.js';

const cleanups: Cleanup[] = [];
afterEach(() => runCleanups(cleanups));

async function wsSetup(): Promise<{ proxy: Proxy; upstreamSockets: Set<net.Socket>; seenHeaders: http.IncomingHttpHeaders[] }> {
  const seenHeaders: http.IncomingHttpHeaders[] = [];
  const upstreamSockets = new Set<net.Socket>();
  const up = await startWsUpstream((ws, req) => {
    seenHeaders.push(req.headers);
    upstreamSockets.add(req.socket);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  }, 'plain');
  const proxy = await proxyTo(up, cleanups);
  return { proxy, upstreamSockets, seenHeaders };
}

function openWs(port: number, path = '/ws'): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${String(port)}${path}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function echoOnce(ws: WebSocket, msg: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (d: Buffer) => resolve(d.toString()));
    ws.send(msg);
  });
}

describe('fallback engine, upgrades', () => {
  it('tunnels a websocket both ways and finishes once both sides closed', async () => {
    const { proxy, seenHeaders } = await wsSetup();
    const ws = await openWs(proxy.port);
    expect(await echoOnce(ws, 'hello')).toBe('hello');
    expect(await echoOnce(ws, 'x'.repeat(100_000))).toHaveLength(100_000);
    expect(seenHeaders[0]!.connection).toBe('Upgrade');
    expect(seenHeaders[0]!.upgrade).toBe('websocket');
    expect(seenHeaders[0]!['x-forwarded-for']).toBe('127.0.0.1');
    expect(proxy.engine.activeExchanges).toBe(1);
    ws.close(1000, 'bye');
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1000);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 101 });
    expect(f!.ex.responseStarted).toBe(true);
    expect(proxy.engine.activeExchanges).toBe(0);
  });

  it('tunnels the bytes that came along with both heads', async () => {
    // Upstream answers 101 and its first tunnel bytes in one write, then echoes what it receives, upper-cased.
    const proxy = await proxyTo(
      await startRawUpstream((s) => {
        let head = '';
        const onData = (d: Buffer): void => {
          head += d.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          s.removeListener('data', onData);
          s.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nfrom-up;');
          const rest = head.slice(end + 4);
          if (rest !== '') s.write(rest.toUpperCase());
          s.on('data', (more: Buffer) => s.write(more.toString('latin1').toUpperCase()));
          s.on('end', () => s.end());
        };
        s.on('data', onData);
      }),
      cleanups,
    );
    const c = net.connect(proxy.port, '127.0.0.1');
    let got = '';
    c.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.endsWith('EARLY;')) c.end('late;');
    });
    // The client pipelines tunnel bytes right behind its upgrade request.
    c.write('GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly;');
    await once(c, 'close');
    expect(got).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nfrom-up;EARLY;LATE;$/);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 101 });
  });

  it('relays a non-101 answer to an upgrade request and closes the connection', async () => {
    const up = await startUpstream((req, res) => {
      res.writeHead(403, { 'Content-Type': 'text/plain', 'X-Why': 'no' });
      res.end(`refused ${req.headers.upgrade ?? ''}`);
    });
    const proxy = await proxyTo(up, cleanups);
    const out = await rawRequest(
      proxy.port,
      'GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(out).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(out).toContain('X-Why: no');
    expect(out.endsWith('refused websocket')).toBe(true);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 403 });
  });

  it('answers 502 when upstream switches to another protocol than requested', async () => {
    const proxy = await proxyTo(
      await startRawUpstream((s) => {
        s.once('data', () => s.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: other\r\n\r\n'));
      }),
      cleanups,
    );
    const out = await rawRequest(proxy.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(out).toContain('backend tried to switch protocol "other" when "websocket" was requested\n');
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'upstream-error', status: 502 });
  });

  it('writes a local answer to an upgrade request on the raw socket and closes it', async () => {
    const { proxy } = await wsSetup();
    const out = await rawRequest(
      proxy.port,
      'GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Test-Respond: 503\r\n\r\n',
    );
    expect(out).toBe(
      'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nX-Local: 1\r\nContent-Length: 13\r\nConnection: close\r\n\r\nlocal answer\n',
    );
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 503 });
  });

  it('serves an upgrade request that carries a body as plain HTTP/1.1', async () => {
    const up = await startUpstream((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => res.end(`upgrade=${req.headers.upgrade ?? 'none'} body=${b}`));
    });
    const proxy = await proxyTo(up, cleanups);
    const out = await rawRequest(
      proxy.port,
      'POST / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 4\r\n\r\nbody',
    );
    expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(out.endsWith('upgrade=none body=body')).toBe(true);
  });

  it('kills a websocket tunnel when the total timeout fires, whatever its traffic', async () => {
    const up = await startWsUpstream((ws) => ws.on('message', (d) => ws.send(d)));
    const proxy = await proxyTo(up, cleanups, {
      timeouts: { totalMs: 300, responseStartMs: 0, idleMs: 0, message: 'request timeout' },
    });
    const ws = await openWs(proxy.port);
    expect(await echoOnce(ws, 'a')).toBe('a');
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1006);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'timeout', status: 101 });
  });
});

function curlHasHttp2(): boolean {
  try {
    return /HTTP2/.test(execFileSync('curl', ['--version'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

describe.skipIf(!curlHasHttp2())('fallback engine, Upgrade: h2c (curl --http2)', () => {
  it('answers 101, serves the upgraded request on stream 1 over h2c, and more streams after it', async () => {
    const up = await startH2Upstream((stream, headers) => {
      stream.respond({ ':status': 200, 'x-upstream-proto': 'h2', 'x-xff': String(headers['x-forwarded-for']) });
      stream.end(`h2 ${String(headers[':path'])}\n`);
    });
    const proxy = await proxyTo(up, cleanups);
    const base = `http://127.0.0.1:${String(proxy.port)}`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile('curl', ['-s', '-i', '--http2', `${base}/one`, `${base}/two`], { timeout: 10_000 }, (err, stdout) => {
        if (err !== null) reject(new Error(`curl failed: ${err.message}`));
        else resolve(stdout);
      });
    });
    expect(out).toContain('HTTP/1.1 101 Switching Protocols');
    expect(out).toContain('HTTP/2 200');
    expect(out).toContain('x-upstream-proto: h2');
    expect(out).toContain('x-xff: 127.0.0.1');
    expect(out).toContain('h2 /one\n');
    expect(out).toContain('h2 /two\n');
    const fs = await proxy.finished(2);
    expect(fs.map((f) => f.ex.protocol)).toEqual(['HTTP/2.0', 'HTTP/2.0']);
    expect(fs.map((f) => f.outcome)).toEqual(['complete', 'complete']);
  });
});
