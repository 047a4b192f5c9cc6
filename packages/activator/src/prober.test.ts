// The activator's HTTP prober against real servers on 127.0.0.1: what goes on the wire, what counts as ready,
// the deadline, the body cap and the keep-alive connection's life.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpProber, PROBE_PATH } from './prober.js';
import type { HttpProber } from './prober.js';

interface Served {
  readonly port: number;
  readonly server: http.Server;
  /** Every accepted connection, in order. */
  readonly sockets: Socket[];
  readonly requests: { readonly method: string; readonly url: string; readonly rawHeaders: readonly string[] }[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Served> {
  const sockets: Socket[] = [];
  const requests: Served['requests'][number][] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders });
    handler(req, res);
  });
  server.on('connection', (s: Socket) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { port: (server.address() as AddressInfo).port, server, sockets, requests };
}

function prober(): HttpProber {
  const p = createHttpProber();
  cleanups.push(() => p.close());
  return p;
}

/** Resolves when the server side of `socket` has closed (immediately if it already has). */
async function closed(socket: Socket | undefined): Promise<void> {
  if (socket === undefined) throw new Error('no such connection');
  if (socket.destroyed) return;
  // Not events.once: a reset ('error' before 'close') is a close too.
  await new Promise((resolve) => socket.once('close', resolve));
}

const answer =
  (status: number, body: string) =>
  (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  };

describe('createHttpProber', () => {
  it('sends GET /healthz with K-Network-Probe: queue and the activator user agent', async () => {
    const s = await serve(answer(200, 'queue'));
    expect(await prober().probe('127.0.0.1', s.port, AbortSignal.timeout(2000))).toBe(true);
    const [req] = s.requests;
    expect(req?.method).toBe('GET');
    expect(req?.url).toBe(PROBE_PATH);
    const headers = new Map<string, string[]>();
    for (let i = 0; i + 1 < (req?.rawHeaders.length ?? 0); i += 2) {
      const name = (req?.rawHeaders[i] ?? '').toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), req?.rawHeaders[i + 1] ?? '']);
    }
    expect(headers.get('k-network-probe')).toEqual(['queue']);
    expect(headers.get('user-agent')).toEqual(['Knative-Activator-Probe']);
    expect(headers.get('host')).toEqual([`127.0.0.1:${String(s.port)}`]);
  });

  it.each([
    { status: 200, body: 'queue', want: true },
    { status: 200, body: 'queue\n', want: false },
    { status: 200, body: '', want: false },
    { status: 503, body: 'queue', want: false },
    { status: 204, body: '', want: false },
  ])('$status "$body" → ready $want', async ({ status, body, want }) => {
    const s = await serve(answer(status, body));
    expect(await prober().probe('127.0.0.1', s.port, AbortSignal.timeout(2000))).toBe(want);
  });

  it('is not ready when the signal is already aborted, and sends nothing', async () => {
    const s = await serve(answer(200, 'queue'));
    expect(await prober().probe('127.0.0.1', s.port, AbortSignal.abort())).toBe(false);
    expect(s.requests).toHaveLength(0);
  });

  it('a server that never answers: not ready when the signal fires, and that connection is closed', async () => {
    const s = await serve(() => {
      // never answers
    });
    const started = performance.now();
    expect(await prober().probe('127.0.0.1', s.port, AbortSignal.timeout(200))).toBe(false);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(5000);
    await closed(s.sockets[0]);
  });

  it('a body past the cap: not ready without reading the rest, and that connection is closed', async () => {
    let written = 0;
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Endless (bounded at 64 MiB) until the client goes away.
      const chunk = Buffer.alloc(16 * 1024, 'q');
      const pump = (): void => {
        while (!res.destroyed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    expect(await prober().probe('127.0.0.1', s.port, AbortSignal.timeout(10_000))).toBe(false);
    await closed(s.sockets[0]);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('reuses one keep-alive connection per pod, also after a "not ready" answer', async () => {
    let ready = false;
    const s = await serve((req, res) => answer(ready ? 200 : 503, ready ? 'queue' : 'not yet')(req, res));
    const p = prober();
    for (let i = 0; i < 3; i++) expect(await p.probe('127.0.0.1', s.port, AbortSignal.timeout(2000))).toBe(false);
    ready = true;
    expect(await p.probe('127.0.0.1', s.port, AbortSignal.timeout(2000))).toBe(true);
    expect(s.requests).toHaveLength(4);
    expect(s.sockets).toHaveLength(1);
  });

  it('one connection per pod: two pods, two connections; close() closes both', async () => {
    const a = await serve(answer(200, 'queue'));
    const b = await serve(answer(200, 'queue'));
    const p = createHttpProber();
    for (let i = 0; i < 2; i++) {
      expect(await p.probe('127.0.0.1', a.port, AbortSignal.timeout(2000))).toBe(true);
      expect(await p.probe('127.0.0.1', b.port, AbortSignal.timeout(2000))).toBe(true);
    }
    expect([a.sockets.length, b.sockets.length]).toEqual([1, 1]);
    expect(a.sockets[0]?.destroyed).toBe(false);
    p.close();
    await Promise.all([closed(a.sockets[0]), closed(b.sockets[0])]);
  });

  it('close() ends a probe in flight as "not ready"', async () => {
    const s = await serve(() => {
      // never answers
    });
    const p = createHttpProber();
    const pending = p.probe('127.0.0.1', s.port, AbortSignal.timeout(10_000));
    await once(s.server, 'request');
    p.close();
    expect(await pending).toBe(false);
    await closed(s.sockets[0]);
  });

  it('a refused connection is "not ready"', async () => {
    const s = await serve(answer(200, 'queue'));
    const port = s.port;
    await cleanups.pop()?.();
    expect(await prober().probe('127.0.0.1', port, AbortSignal.timeout(2000))).toBe(false);
  });
});
