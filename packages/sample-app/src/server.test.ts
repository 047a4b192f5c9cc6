import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSampleApp, type SampleApp, type SampleAppOptions } from './server.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Arrival time (ms since the request was sent) of every body chunk. */
  chunkAt: number[];
}

function send(
  port: number,
  path: string,
  opts: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string; agent?: Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        const chunkAt: number[] = [];
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          chunkAt.push(performance.now() - t0);
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), chunkAt }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Writes `text` on a fresh connection and returns everything the server sent until it closed. */
async function rawExchange(port: number, text: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.end(text);
  await once(socket, 'close');
  return Buffer.concat(chunks).toString();
}

let app: SampleApp;
async function start(opts: Partial<SampleAppOptions> = {}): Promise<SampleApp> {
  app = await startSampleApp({ port: 0, host: '127.0.0.1', ...opts });
  return app;
}

describe('startSampleApp', () => {
  afterEach(async () => {
    await app.close();
  });

  describe('with defaults', () => {
    beforeEach(async () => {
      await start();
    });

    it.each(['/', '/any/path', '/?unknown=1'])('answers Hello World! on %s, like helloworld-go', async (path) => {
      const r = await send(app.port, path);
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe('Hello World!\n');
      expect(r.headers['content-length']).toBe('13');
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.headers).not.toHaveProperty('x-kdp-revision');
    });

    it.each([0, 10, 65536, 300_000])('?size=%i answers exactly that many bytes with a Content-Length', async (size) => {
      const r = await send(app.port, `/?size=${String(size)}`);
      expect(r.status).toBe(200);
      expect(r.headers['content-length']).toBe(String(size));
      expect(r.headers['transfer-encoding']).toBeUndefined();
      expect(r.body.length).toBe(size);
      expect(r.body.every((b) => b === 0x78)).toBe(true);
    });

    it('serves a small size after a large one from the same buffer', async () => {
      await send(app.port, '/?size=200000');
      const r = await send(app.port, '/?size=3');
      expect(r.body.toString()).toBe('xxx');
    });

    it('?sleep=MS answers after MS', async () => {
      const t0 = performance.now();
      const r = await send(app.port, '/?sleep=120&size=4');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
      expect(r.body.toString()).toBe('xxxx');
    });

    it('rejects a bad query with 400 naming the parameter', async () => {
      const r = await send(app.port, '/?sleep=soon');
      expect(r.status).toBe(400);
      expect(r.body.toString()).toContain('sleep');
    });

    it('?stream=N&interval=MS sends N chunks spaced by MS, chunked', async () => {
      const r = await send(app.port, '/?stream=3&interval=60');
      expect(r.status).toBe(200);
      expect(r.headers['transfer-encoding']).toBe('chunked');
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.body.toString()).toBe('0\n1\n2\n');
      expect(r.chunkAt).toHaveLength(3);
      const [first, , last] = r.chunkAt;
      // Two 60 ms intervals; a late first chunk on a busy machine can shorten the gap seen here, not remove it.
      expect(last! - first!).toBeGreaterThanOrEqual(90);
    });

    it('?sse=1 makes the stream a text/event-stream of data events', async () => {
      const r = await send(app.port, '/?stream=2&sse=1');
      expect(r.headers['content-type']).toBe('text/event-stream');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.body.toString()).toBe('data: 0\n\ndata: 1\n\n');
    });

    it('?stream with size sends chunks of that size, honouring backpressure', async () => {
      const r = await send(app.port, '/?stream=64&size=65536');
      expect(r.body.length).toBe(64 * 65536);
    });

    it('/echo shows what the app received, duplicates, case and hop-by-hop headers included', async () => {
      const text = await rawExchange(
        app.port,
        'POST /echo?a=1 HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 10.0.0.1\r\nx-forwarded-for: 10.0.0.2\r\n' +
          'Forwarded: for=10.0.0.1\r\nKeep-Alive: timeout=1\r\nTE: trailers\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello',
      );
      expect(text).toMatch(/^HTTP\/1.1 200 OK\r\n/);
      expect(text.toLowerCase()).toContain('content-type: application/json');
      const echo = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
      expect(echo).toMatchObject({
        method: 'POST',
        url: '/echo?a=1',
        path: '/echo',
        query: 'a=1',
        httpVersion: '1.1',
        remoteAddress: '127.0.0.1',
        bodyBytes: 5,
      });
      expect(echo['headers']).toMatchObject({ host: 'example.com', 'x-forwarded-for': '10.0.0.1, 10.0.0.2' });
      expect(echo['rawHeaders']).toEqual([
        ['Host', 'example.com'],
        ['X-Forwarded-For', '10.0.0.1'],
        ['x-forwarded-for', '10.0.0.2'],
        ['Forwarded', 'for=10.0.0.1'],
        ['Keep-Alive', 'timeout=1'],
        ['TE', 'trailers'],
        ['Content-Length', '5'],
        ['Connection', 'close'],
      ]);
    });

    it('/echo-body streams a large request body back', async () => {
      const body = Buffer.alloc(3 * 1024 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = i & 0xff;
      const r = await send(app.port, '/echo-body', {
        method: 'PUT',
        headers: { 'content-type': 'application/x-test', 'content-length': body.length },
        body,
      });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/x-test');
      expect(r.headers['content-length']).toBe(String(body.length));
      expect(r.body.equals(body)).toBe(true);
    });

    it('/echo-body answers chunked when the request was chunked', async () => {
      const r = await send(app.port, '/echo-body', { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: 'abc' });
      expect(r.headers['transfer-encoding']).toBe('chunked');
      expect(r.body.toString()).toBe('abc');
    });

    it.each([200, 201, 404, 429, 500, 502, 503, 599])('/status/%i answers that status', async (code) => {
      const r = await send(app.port, `/status/${String(code)}`);
      expect(r.status).toBe(code);
      expect(r.body.toString()).toMatch(new RegExp(`^${String(code)} `));
    });

    it.each([204, 304])('/status/%i answers with no body', async (code) => {
      const r = await send(app.port, `/status/${String(code)}`);
      expect(r.status).toBe(code);
      expect(r.body.length).toBe(0);
    });

    it.each(['/status/abc', '/status/99', '/status/600', '/status/1000'])('%s is a 400', async (path) => {
      expect((await send(app.port, path)).status).toBe(400);
    });

    it('/ws echoes text and binary messages', async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${String(app.port)}/ws`);
      await once(ws, 'open');
      const got: [string, boolean][] = [];
      const two = new Promise<void>((resolve) => {
        ws.on('message', (data: Buffer, isBinary) => {
          got.push([data.toString('hex'), isBinary]);
          if (got.length === 2) resolve();
        });
      });
      ws.send('hi');
      ws.send(Buffer.from([1, 2, 3]));
      await two;
      expect(got).toEqual([
        [Buffer.from('hi').toString('hex'), false],
        ['010203', true],
      ]);
      ws.close();
      await once(ws, 'close');
    });

    it('/ws without an upgrade is a 426', async () => {
      expect((await send(app.port, '/ws')).status).toBe(426);
    });

    it('refuses upgrades on other paths', async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${String(app.port)}/other`);
      const [err] = (await once(ws, 'error')) as [Error];
      expect(err.message).toContain('404');
    });
  });

  it('sends TARGET and K_REVISION', async () => {
    await start({ target: 'Knative', revision: 'hello-00001' });
    const r = await send(app.port, '/');
    expect(r.body.toString()).toBe('Hello Knative!\n');
    expect(r.headers['x-kdp-revision']).toBe('hello-00001');
    const sized = await send(app.port, '/?size=1');
    expect(sized.headers['x-kdp-revision']).toBe('hello-00001');
  });

  it('rejects bad options, naming each', async () => {
    await expect(startSampleApp({ port: -1, host: '', closeGraceMs: -5 })).rejects.toThrow(
      /port must be.*host must be.*closeGraceMs must be/,
    );
    await start();
  });

  /** Starts a /echo-body upload and resolves once the app has answered its head: the request is then in flight. */
  async function inflightUpload(port: number, agent: Agent): Promise<{ finish(): Promise<Reply> }> {
    const req = request({ host: '127.0.0.1', port, path: '/echo-body', method: 'POST', agent });
    req.write('first;');
    req.flushHeaders();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<Reply>((resolve, reject) => {
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), chunkAt: [] }));
      res.on('error', reject);
      req.on('error', reject);
    });
    return {
      finish: () => {
        req.end('last');
        return ended;
      },
    };
  }

  it('close() lets an in-flight request on a keep-alive connection finish, then closes it', async () => {
    await start();
    const agent = new Agent({ keepAlive: true });
    await send(app.port, '/', { agent: new Agent({ keepAlive: true }) }); // leaves an idle keep-alive connection
    const upload = await inflightUpload(app.port, agent);
    const closed = app.close();
    const r = await upload.finish();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('first;last');
    await closed;
    await expect(send(app.port, '/')).rejects.toThrow(/ECONNREFUSED/);
    agent.destroy();
  });

  it('close() cuts requests still running after the grace period', async () => {
    await start({ closeGraceMs: 100 });
    const upload = await inflightUpload(app.port, new Agent({ keepAlive: true }));
    const t0 = performance.now();
    await app.close();
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(1000);
    await expect(upload.finish()).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
  });

  it('close() says going away (1001) to websocket clients', async () => {
    await start();
    const ws = new WebSocket(`ws://127.0.0.1:${String(app.port)}/ws`);
    await once(ws, 'open');
    const closed = once(ws, 'close');
    await app.close();
    const [code] = (await closed) as [number];
    expect(code).toBe(1001);
  });
});
