import http2 from 'node:http2';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closedPort,
  gate,
  h2Client,
  readH2 as read,
  runCleanups,
  startH2Proxy,
  startProxy,
  type Cleanup,
  type Proxy,
} from './harness.test-util.js';

const cleanups: Cleanup[] = [];
afterEach(() => runCleanups(cleanups));

function setup(onStream: Parameters<typeof startH2Proxy>[0]): Promise<{ proxy: Proxy; client: http2.ClientHttp2Session }> {
  return startH2Proxy(onStream, cleanups);
}

describe('fallback engine, h2c prior knowledge', () => {
  it('proxies to an h2c upstream with header edits, streaming the request body', async () => {
    const { proxy, client } = await setup((stream, headers) => {
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => (body += d));
      stream.on('end', () => {
        stream.respond({ ':status': 201, 'content-type': 'application/json' });
        stream.end(JSON.stringify({ headers, body }));
      });
    });
    const req = client.request({
      ':method': 'POST',
      ':path': '/h2?x=1',
      'x-forwarded-for': '9.9.9.9',
      'knative-serving-revision': 'r',
      te: 'trailers',
    });
    req.end('payload');
    const r = await read(req);
    expect(r.headers[':status']).toBe(201);
    const seen = JSON.parse(r.body) as { headers: http2.IncomingHttpHeaders; body: string };
    expect(seen.body).toBe('payload');
    expect(seen.headers[':path']).toBe('/h2?x=1');
    expect(seen.headers[':authority']).toBe(`127.0.0.1:${String(proxy.port)}`);
    expect(seen.headers['x-forwarded-for']).toBe('9.9.9.9, 127.0.0.1');
    expect(seen.headers['x-added']).toBe('yes');
    expect(seen.headers['x-extra']).toBe('extra');
    expect(seen.headers['te']).toBe('trailers');
    expect(seen.headers['knative-serving-revision']).toBeUndefined();
    expect(seen.headers['user-agent']).toBeUndefined();
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 201 });
    expect(f!.ex.protocol).toBe('HTTP/2.0');
    expect(f!.ex.header('host')).toBe(`127.0.0.1:${String(proxy.port)}`);
  });

  it('streams large bodies both ways under flow control', async () => {
    const { client } = await setup((stream) => {
      let n = 0;
      stream.on('data', (d: Buffer) => (n += d.length));
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        // Answer with as many bytes as were received.
        const chunk = Buffer.alloc(64 * 1024, 'y');
        let left = n;
        const pump = (): void => {
          while (left > 0) {
            const c = chunk.subarray(0, Math.min(left, chunk.length));
            left -= c.length;
            if (!stream.write(c)) {
              stream.once('drain', pump);
              return;
            }
          }
          stream.end();
        };
        pump();
      });
    });
    const size = 4 * 1024 * 1024;
    const req = client.request({ ':method': 'POST', ':path': '/big' });
    req.end(Buffer.alloc(size, 'x'));
    let got = 0;
    req.on('data', (d: Buffer) => (got += d.length));
    await once(req, 'end');
    expect(got).toBe(size);
  });

  it('relays trailers both ways (gRPC style)', async () => {
    const sawTrailers = gate<http2.IncomingHttpHeaders>();
    const { proxy, client } = await setup((stream) => {
      stream.on('trailers', (t) => sawTrailers.open(t));
      stream.resume();
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
        stream.end('frame');
      });
    });
    const req = client.request({ ':method': 'POST', ':path': '/svc/Method', 'content-type': 'application/grpc', te: 'trailers' }, { waitForTrailers: true });
    req.on('wantTrailers', () => req.sendTrailers({ 'x-client-trailer': 'v' }));
    req.end('request');
    const r = await read(req);
    expect(r.body).toBe('frame');
    expect(r.trailers).toMatchObject({ 'grpc-status': '0', 'grpc-message': 'ok' });
    expect((await sawTrailers.promise)['x-client-trailer']).toBe('v');
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 200 });
  });

  it('relays a trailers-only response (headers with END_STREAM)', async () => {
    const { client } = await setup((stream) => {
      stream.respond({ ':status': 200, 'grpc-status': '12' }, { endStream: true });
    });
    const r = await read(client.request({ ':path': '/x' }));
    expect(r.headers['grpc-status']).toBe('12');
    expect(r.body).toBe('');
  });

  it('relays 103 Early Hints with additionalHeaders', async () => {
    const { client } = await setup((stream) => {
      stream.additionalHeaders({ ':status': 103, link: '</a.css>; rel=preload' });
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    const r = await read(client.request({ ':path': '/' }));
    expect(r.informational.map((h) => h[':status'])).toEqual([103]);
    expect(r.informational[0]!['link']).toBe('</a.css>; rel=preload');
    expect(r.body).toBe('ok');
  });

  it('answers 502 with the dial error when the upstream port is closed', async () => {
    const port = await closedPort();
    const proxy = await startProxy({ upstreamPort: port });
    cleanups.push(() => proxy.stop());
    const client = h2Client(proxy, cleanups);
    const r = await read(client.request({ ':path': '/' }));
    expect(r.headers[':status']).toBe(502);
    expect(r.headers['x-kdp-error']).toBe('upstream-unreachable');
    expect(r.body).toBe(`dial tcp 127.0.0.1:${String(port)}: connect: connection refused\n`);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'upstream-error', status: 502 });
  });

  it('resets the client stream when upstream fails after the head', async () => {
    const { proxy, client } = await setup((stream) => {
      stream.on('error', () => undefined);
      stream.respond({ ':status': 200 });
      // The upstream connection dies mid-body.
      stream.write('partial', () => stream.session?.destroy());
    });
    const req = client.request({ ':path': '/' });
    await expect(read(req)).rejects.toThrow();
    expect(req.rstCode).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'upstream-error', status: 200 });
  });

  it('cancels the upstream stream when the client resets its stream', async () => {
    const arrived = gate();
    const upstreamClosed = gate<boolean>();
    const { proxy, client } = await setup((stream) => {
      stream.on('close', () => upstreamClosed.open(stream.aborted || stream.rstCode !== 0));
      arrived.open();
    });
    const req = client.request({ ':path': '/hold' });
    req.on('error', () => undefined);
    await arrived.promise;
    req.close(http2.constants.NGHTTP2_CANCEL);
    expect(await upstreamClosed.promise).toBe(true);
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'client-aborted', status: 0 });
    expect(proxy.engine.activeExchanges).toBe(0);
  });

  it('answers locally over HTTP/2', async () => {
    const { proxy, client } = await setup(() => undefined);
    const req = client.request({ ':method': 'POST', ':path': '/', 'x-test-respond': '503' });
    req.write('some body the handler never reads');
    const r = await read(req);
    expect(r.headers[':status']).toBe(503);
    expect(r.headers['x-local']).toBe('1');
    expect(r.body).toBe('local answer\n');
    const [f] = await proxy.finished(1);
    expect(f).toMatchObject({ outcome: 'complete', status: 503 });
  });

  it('keeps one upstream session for many streams and reconnects after it closes', async () => {
    const sessions = new Set<http2.Http2Session>();
    const { client } = await setup((stream) => {
      if (stream.session !== undefined) sessions.add(stream.session);
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    await Promise.all([1, 2, 3].map(() => read(client.request({ ':path': '/' }))));
    expect(sessions.size).toBe(1);
    const [first] = [...sessions];
    first!.close();
    await once(first!, 'close');
    expect((await read(client.request({ ':path': '/' }))).body).toBe('ok');
    expect(sessions.size).toBe(2);
  });
});
