// The failover hook (`Upstream.onUnreachable`) on the fallback engine: offered only for a bodiless request that
// provably never reached the app (a refused connection, or a queue-proxy's 502 with its dial error), once, before
// anything went to the client; otherwise the answer is what it was without the hook.
import { afterEach, describe, expect, it } from 'vitest';
import type { UnreachableCause, UnreachableHandler } from '../http/exchange.js';
import { Upstream } from '../http/upstream.js';
import { closedPort, DEFAULT_EDITS, request, runCleanups, startProxy, startUpstream, type Cleanup } from './harness.test-util.js';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  await runCleanups(cleanups);
});

async function answering(status: number, headers: Record<string, string>, body: string): Promise<number> {
  // With Content-Length, as a queue-proxy writes its own answers.
  const up = await startUpstream((_req, res) => {
    res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
  cleanups.push(() => up.stop());
  return up.port;
}

const QP_502 = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Kdp-Error': 'upstream-unreachable' };

/** A proxy whose first upstream is `firstPort` (with the hook); the hook sends the request to `secondPort`. */
async function setup(firstPort: number, secondPort: number, take = true): Promise<{ port: number; causes: UnreachableCause[] }> {
  const causes: UnreachableCause[] = [];
  const hook: UnreachableHandler = (ex, cause) => {
    causes.push(cause);
    if (!take) return false;
    ex.forward(second, DEFAULT_EDITS, undefined);
    return true;
  };
  const first = new Upstream({ host: '127.0.0.1', port: firstPort, maxIdle: 4, onUnreachable: hook });
  // The second upstream has the same hook: it must not be offered the same exchange again.
  const second = new Upstream({ host: '127.0.0.1', port: secondPort, maxIdle: 4, onUnreachable: hook });
  const proxy = await startProxy({ upstreamPort: firstPort, handler: (ex) => ex.forward(first, DEFAULT_EDITS, undefined) });
  cleanups.push(async () => {
    await proxy.stop();
    first.close();
    second.close();
  });
  return { port: proxy.port, causes };
}

describe('fallback engine: failover of requests that never reached the app', () => {
  it('a refused connection goes to the other upstream', async () => {
    const { port, causes } = await setup(await closedPort(), await answering(200, {}, 'good'));
    const r = await request(port);
    expect(r.status).toBe(200);
    expect(r.body).toBe('good');
    expect(causes).toEqual(['refused']);
  });

  it("a queue-proxy's 502 with its dial error goes to the other upstream, and is never shown to the client", async () => {
    const { port, causes } = await setup(
      await answering(502, QP_502, 'dial tcp 127.0.0.1:8080: connect: connection refused\n'),
      await answering(200, {}, 'good'),
    );
    const r = await request(port);
    expect(r.status).toBe(200);
    expect(r.body).toBe('good');
    expect(causes).toEqual(['app-unreachable']);
  });

  it("a queue-proxy's 502 after a read error (the app may have seen the request) is relayed as it came", async () => {
    const body = 'read tcp 127.0.0.1:8080: EOF (upstream closed the connection before responding)\n';
    const { port, causes } = await setup(await answering(502, QP_502, body), await answering(200, {}, 'good'));
    const r = await request(port);
    expect(r.status).toBe(502);
    expect(r.body).toBe(body);
    expect(r.headers['x-kdp-error']).toBe('upstream-unreachable');
    expect(causes).toEqual([]);
  });

  it('a request with a body is not offered (it could not be sent again as it was)', async () => {
    const { port, causes } = await setup(await closedPort(), await answering(200, {}, 'good'));
    const r = await request(port, { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(502);
    expect(r.body).toMatch(/^dial tcp 127\.0\.0\.1:\d+: connect: connection refused\n$/);
    expect(causes).toEqual([]);
  });

  it('a hook that declines leaves the 502; a second failure is not offered again', async () => {
    const declined = await setup(await closedPort(), await answering(200, {}, 'good'), false);
    const r = await request(declined.port);
    expect(r.status).toBe(502);
    expect(r.headers['x-kdp-error']).toBe('upstream-unreachable');
    expect(declined.causes).toEqual(['refused']);

    const twice = await setup(await closedPort(), await closedPort());
    const r2 = await request(twice.port);
    expect(r2.status).toBe(502);
    expect(twice.causes).toEqual(['refused']);
  });
});
