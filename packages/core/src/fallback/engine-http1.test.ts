import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closedPort,
  gate,
  proxyTo,
  rawRequest,
  readUntil,
  request,
  runCleanups,
  startProxy,
  startRawUpstream,
  startUpstream,
  turns,
  type Cleanup,
  type Proxy,
  type TestUpstream,
} from './harness.test-util.js';

interface Seen {
  method: string;
  url: string;
  httpVersion: string;
  rawHeaders: string[];
  body: string;
}

/** An upstream that answers every request with a JSON description of what it received. */
function echo(req: http.IncomingMessage, res: http.ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => {
    const seen: Seen = { method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, rawHeaders: req.rawHeaders, body };
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(seen));
  });
}

function seenHeader(seen: Seen, lower: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < seen.rawHeaders.length; i += 2) {
    if (seen.rawHeaders[i]!.toLowerCase() === lower) out.push(seen.rawHeaders[i + 1]!);
  }
  return out;
}

const cleanups: Cleanup[] = [];
async function setup(handler: http.RequestListener, opts: Parameters<typeof proxyTo>[2] = {}): Promise<{ up: TestUpstream; proxy: Proxy }> {
  const up = await startUpstream(handler);
  return { up, proxy: await proxyTo(up, cleanups, opts) };
}

/** A proxy in front of a raw TCP upstream that `onSocket` speaks for. */
async function rawSetup(onSocket: (s: net.Socket) => void): Promise<Proxy> {
  return proxyTo(await startRawUpstream(onSocket), cleanups);
}

afterEach(() => runCleanups(cleanups));

/** Every exchange got exactly one onFinish and none is left active. */
function expectAllFinishedOnce(proxy: Proxy): void {
  expect(proxy.engine.activeExchanges).toBe(0);
  for (const ex of proxy.exchanges) expect(proxy.counts.get(ex)).toBe(1);
}

describe('fallback engine, HTTP/1.x', () => {
  it('proxies an HTTP/1.1 request with hop-by-hop headers stripped, XFF appended, no UA added', async () => {
    const { proxy } = await setup(echo);
    const out = await rawRequest(
      proxy.port,
      'GET /path?q=1 HTTP/1.1\r\nHost: client.example\r\nConnection: close, X-Secret\r\nX-Secret: s\r\n' +
        'Keep-Alive: timeout=5\r\nProxy-Authorization: Basic x\r\nTe: trailers\r\nTrailer: X-T\r\n' +
        'Knative-Serving-Revision: rev\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n',
    );
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    const seen = JSON.parse(body) as Seen;
    expect(seen.url).toBe('/path?q=1');
    expect(seen.httpVersion).toBe('1.1');
    for (const h of ['x-secret', 'keep-alive', 'proxy-authorization', 'trailer', 'knative-serving-revision', 'user-agent']) {
      expect(seenHeader(seen, h)).toEqual([]);
    }
    expect(seenHeader(seen, 'te')).toEqual(['trailers']);
    expect(seenHeader(seen, 'host')).toEqual(['client.example']);
    expect(seenHeader(seen, 'x-forwarded-for')).toEqual(['1.2.3.4, 127.0.0.1']);
    expect(seenHeader(seen, 'x-added')).toEqual(['yes']);
    expect(seenHeader(seen, 'x-extra')).toEqual(['extra']);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 200 });
    expect(f!.ex.protocol).toBe('HTTP/1.1');
    expect(f!.ex.remoteAddress).toBe('127.0.0.1');
    expectAllFinishedOnce(proxy);
  });

  it('overrides Host when the handler passes one', async () => {
    const { proxy } = await setup(echo);
    const r = await request(proxy.port, { headers: { 'x-test-host': 'restored.example' } });
    expect(seenHeader(JSON.parse(r.body) as Seen, 'host')).toEqual(['restored.example']);
  });

  it('sends an absolute-form target upstream in origin-form, with its authority as Host', async () => {
    const { proxy } = await setup(echo);
    const out = await rawRequest(proxy.port, 'GET http://abs.example:81/a?b=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n');
    const seen = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)) as Seen;
    expect(seen.url).toBe('/a?b=1');
    expect(seenHeader(seen, 'host')).toEqual(['abs.example:81']);
    const [f] = await proxy.finished(1);
    expect(f!.ex.target).toBe('http://abs.example:81/a?b=1');
  });

  it('strips hop-by-hop response headers', async () => {
    const { proxy } = await setup((_req, res) => {
      res.writeHead(200, [
        'Connection', 'X-Internal',
        'X-Internal', '1',
        'Keep-Alive', 'timeout=99',
        'Proxy-Authenticate', 'Basic',
        'Upgrade', 'h2c',
        'X-Kept', 'k',
        'Content-Length', '2',
      ]);
      res.end('ok');
    });
    const r = await request(proxy.port);
    expect(r.status).toBe(200);
    expect(r.headers['x-kept']).toBe('k');
    for (const h of ['x-internal', 'proxy-authenticate', 'upgrade']) expect(r.headers[h]).toBeUndefined();
    expect(r.headers['keep-alive']).toBeUndefined();
    expect(r.body).toBe('ok');
  });

  it('proxies an HTTP/1.0 request as HTTP/1.1 upstream and closes the client connection', async () => {
    const { proxy } = await setup(echo);
    const out = await rawRequest(proxy.port, 'POST /old HTTP/1.0\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc');
    expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const seen = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)) as Seen;
    expect(seen).toMatchObject({ method: 'POST', url: '/old', httpVersion: '1.1', body: 'abc' });
    const [f] = await proxy.finished(1);
    expect(f!.ex.protocol).toBe('HTTP/1.0');
    expect(f!.outcome).toBe('complete');
  });

  it('streams request and response bodies (chunked both ways) and relays trailers', async () => {
    const { proxy } = await setup((req, res) => {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => {
        res.writeHead(200, { Trailer: 'X-Checksum', 'Content-Type': 'text/plain' });
        res.write(`got ${String(n)} `);
        res.addTrailers({ 'X-Checksum': 'abc' });
        res.end('bytes');
      });
    });
    const r = await new Promise<http.IncomingMessage & { text: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'PUT', path: '/up', agent: false, headers: { TE: 'trailers' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(Object.assign(res, { text })));
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(1000, 'x'));
      req.end();
    });
    expect(r.text).toBe('got 10000 bytes');
    expect(r.headers['trailer']).toBe('X-Checksum');
    expect(r.trailers['x-checksum']).toBe('abc');
  });

  it('flushes each chunk of a streamed response as it arrives (SSE)', async () => {
    const next = gate();
    const { proxy } = await setup((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: one\n\n');
      void next.promise.then(() => res.end('data: two\n\n'));
    });
    const chunks: string[] = [];
    await new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: proxy.port, path: '/events', agent: false }, (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream');
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            chunks.push(d);
            // The second event is only produced once the first reached the client.
            if (chunks.length === 1) next.open();
          });
          res.on('end', resolve);
        })
        .on('error', reject);
    });
    expect(chunks).toEqual(['data: one\n\n', 'data: two\n\n']);
  });

  it('relays 103 Early Hints and other 1xx responses before the final one', async () => {
    const proxy = await rawSetup((s) => {
      s.once('data', () => {
        s.end(
          'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' +
            'HTTP/1.1 104 Upload Resumption Supported\r\nX-Info: 1\r\n\r\n' +
            'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok',
        );
      });
    });
    const r = await request(proxy.port);
    expect(r.informational.map((i) => i.statusCode)).toEqual([103, 104]);
    expect(r.informational[0]!.headers['link']).toBe('</style.css>; rel=preload');
    expect(r.informational[1]!.headers['x-info']).toBe('1');
    expect(r.body).toBe('ok');
  });

  it('answers 502 with the dial error when the upstream port is closed', async () => {
    const port = await closedPort();
    const proxy = await startProxy({ upstreamPort: port });
    cleanups.push(() => proxy.stop());
    const r = await request(proxy.port);
    expect(r.status).toBe(502);
    expect(r.body).toBe(`dial tcp 127.0.0.1:${String(port)}: connect: connection refused\n`);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-kdp-error']).toBe('upstream-unreachable');
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'upstream-error', status: 502 });
    expectAllFinishedOnce(proxy);
  });

  it('aborts the client connection when upstream fails after the head', async () => {
    const proxy = await rawSetup((s) => {
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial', () => s.destroy());
      });
    });
    await expect(request(proxy.port)).rejects.toThrow();
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'upstream-error', status: 200 });
  });

  it('aborts the upstream request when the client goes away', async () => {
    const arrived = gate();
    const upstreamClosed = gate();
    const { proxy } = await setup((req) => {
      req.socket.once('close', () => upstreamClosed.open());
      arrived.open();
    });
    const req = http.request({ host: '127.0.0.1', port: proxy.port, path: '/hold', agent: false });
    req.on('error', () => undefined);
    req.end();
    await arrived.promise;
    req.destroy();
    await upstreamClosed.promise;
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'client-aborted', status: 0 });
    expectAllFinishedOnce(proxy);
  });

  it('forwards Expect: 100-continue and relays the upstream 100 only when upstream sends it', async () => {
    const decide = gate();
    const sawExpect = gate<string | undefined>();
    const { up, proxy } = await setup(echo);
    up.server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      sawExpect.open(req.headers.expect);
      void decide.promise.then(() => {
        res.writeContinue();
        echo(req, res);
      });
    });
    const s = net.connect(proxy.port, '127.0.0.1');
    cleanups.push(async () => {
      s.destroy();
      await Promise.resolve();
    });
    let early = '';
    const onEarly = (d: Buffer): void => {
      early += d.toString('latin1');
    };
    s.on('data', onEarly);
    s.write('POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    expect(await sawExpect.promise).toBe('100-continue');
    await turns();
    expect(early).toBe(''); // the engine did not answer 100 on its own
    s.removeListener('data', onEarly);
    decide.open();
    await readUntil(s, (all) => all.includes('HTTP/1.1 100 Continue\r\n\r\n'));
    s.write('hello');
    const rest = await readUntil(s, (all) => all.includes('"body":"hello"'));
    expect(rest).toMatch(/^HTTP\/1\.1 200 OK/);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 200 });
  });

  it('answers an Expect: 100-continue request locally without reading the body', async () => {
    let upstreamHits = 0;
    const { proxy } = await setup((req, res) => {
      upstreamHits++;
      echo(req, res);
    });
    const out = await rawRequest(
      proxy.port,
      'POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\nX-Test-Respond: 503\r\n\r\n',
    );
    expect(out).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(out).not.toContain('100 Continue');
    expect(out.toLowerCase()).toContain('connection: close');
    expect(out.endsWith('local answer\n')).toBe(true);
    expect(upstreamHits).toBe(0);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 503 });
  });

  it('keeps serving a keep-alive connection the fast path answered first', async () => {
    const { proxy } = await setup(echo, { fastPathFirst: true });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(async () => {
      agent.destroy();
      await Promise.resolve();
    });
    const ports = new Set<number>();
    const get = (path: string): Promise<string> =>
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: proxy.port, path, agent }, (res) => {
            ports.add(res.socket.localPort ?? 0);
            let b = '';
            res.on('data', (d: Buffer) => (b += d.toString()));
            res.on('end', () => resolve(b));
          })
          .on('error', reject);
      });
    expect(await get('/fast')).toBe('fast\n');
    expect((JSON.parse(await get('/second')) as Seen).url).toBe('/second');
    expect((JSON.parse(await get('/third')) as Seen).url).toBe('/third');
    expect(ports.size).toBe(1);
    await proxy.finished(2);
    expectAllFinishedOnce(proxy);
  });

  it('processes pipelined bytes the fast path read past its own request', async () => {
    const { proxy } = await setup(echo, { fastPathFirst: true });
    const out = await rawRequest(
      proxy.port,
      'GET /fast HTTP/1.1\r\nHost: h\r\n\r\nGET /p1 HTTP/1.1\r\nHost: h\r\n\r\nGET /p2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
    );
    expect(out.indexOf('fast\n')).toBeGreaterThan(0);
    expect(out.indexOf('"url":"/p1"')).toBeGreaterThan(out.indexOf('fast\n'));
    expect(out.indexOf('"url":"/p2"')).toBeGreaterThan(out.indexOf('"url":"/p1"'));
  });

  it('reuses pooled upstream connections', async () => {
    const upstreamPorts = new Set<number>();
    const { proxy } = await setup((req, res) => {
      upstreamPorts.add(req.socket.remotePort ?? 0);
      res.end('x');
    });
    for (let i = 0; i < 3; i++) expect((await request(proxy.port)).body).toBe('x');
    expect(upstreamPorts.size).toBe(1);
  });

  it('retries a body-less request once when a pooled upstream connection turns out closed', async () => {
    // Each upstream connection answers its first request and drops the second without a word, as a server whose
    // keep-alive timer fired at that very moment would.
    let connections = 0;
    const proxy = await rawSetup((s) => {
      connections++;
      let served = 0;
      s.on('data', () => {
        if (served++ === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        else s.destroy();
      });
    });
    expect((await request(proxy.port)).body).toBe('ok');
    const second = await request(proxy.port);
    expect(second).toMatchObject({ status: 200, body: 'ok' });
    expect(connections).toBe(2);
    const fs = await proxy.finished(2);
    expect(fs.map((f) => f.outcome)).toEqual(['complete', 'complete']);
  });

  it('answers 408 when a request head does not arrive within headersTimeoutMs', async () => {
    const { proxy } = await setup(echo, { headersTimeoutMs: 200 });
    const out = await rawRequest(proxy.port, 'GET / HTTP/1.1\r\nHost: h\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 408 /);
    expect(proxy.exchanges).toHaveLength(0);
  });
});
