import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import type { HttpProbeAction, ProbeSpec } from './probe-decode.js';
import { ReadinessProber, type ProberLogger } from './prober.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface TestHttpServer {
  readonly port: number;
  readonly requests: { readonly url: string; readonly headers: IncomingHttpHeaders; readonly rawHeaders: readonly string[] }[];
  readonly server: HttpServer;
}

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse, hit: number) => void): Promise<TestHttpServer> {
  const requests: TestHttpServer['requests'][number][] = [];
  const server = createHttpServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    handler(req, res, requests.length);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { port: (server.address() as AddressInfo).port, requests, server };
}

function statusServer(statusForHit: (hit: number) => number): Promise<TestHttpServer> {
  return httpServer((_req, res, hit) => {
    res.statusCode = statusForHit(hit);
    res.end('body');
  });
}

async function tcpServer(): Promise<{ port: number; accepted: () => number }> {
  let accepted = 0;
  const server: TcpServer = createTcpServer((socket) => {
    accepted++;
    socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.close();
    await once(server, 'close');
  });
  return { port: (server.address() as AddressInfo).port, accepted: () => accepted };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

type Timing = Partial<Pick<ProbeSpec, 'periodSeconds' | 'timeoutSeconds' | 'successThreshold'>>;

function httpProbe(port: number, timing: Timing = {}, action: Partial<Omit<HttpProbeAction, 'kind'>> = {}): ProbeSpec {
  return {
    action: { kind: 'httpGet', host: '127.0.0.1', port, path: '/', scheme: 'http', httpHeaders: [], ...action },
    periodSeconds: 0,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
    ...timing,
  };
}

function tcpProbe(port: number, timing: Timing = {}): ProbeSpec {
  return {
    action: { kind: 'tcpSocket', host: '127.0.0.1', port, source: 'tcpSocket' },
    periodSeconds: 0,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
    ...timing,
  };
}

function probeOnce(prober: ReadinessProber): Promise<boolean> {
  return new Promise((resolve) => prober.probe(resolve));
}

function recordingLogger(): ProberLogger & { readonly warnings: { fields: Record<string, unknown>; message: string }[] } {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  return { warnings, warn: (fields, message) => warnings.push({ fields, message }), debug: () => undefined };
}

// Short poll budget for aggressive-mode failures, as Knative's tests shorten pollTimeout.
const FAST = { pollTimeoutMs: 300 } as const;

describe('ReadinessProber: no probes', () => {
  it('is always ready, synchronously', () => {
    let ready: boolean | undefined;
    new ReadinessProber([]).probe((r) => (ready = r));
    expect(ready).toBe(true);
  });
});

describe('ReadinessProber: TCP', () => {
  it.each([
    ['aggressive', { periodSeconds: 0 }],
    ['single attempt', { periodSeconds: 1 }],
  ])('ready when something listens (%s)', async (_mode, timing) => {
    const server = await tcpServer();
    expect(await probeOnce(new ReadinessProber([tcpProbe(server.port, timing)], FAST))).toBe(true);
  });

  it.each([
    ['aggressive', { periodSeconds: 0 }],
    ['single attempt', { periodSeconds: 1 }],
  ])('not ready when nothing listens (%s)', async (_mode, timing) => {
    const port = await closedPort();
    expect(await probeOnce(new ReadinessProber([tcpProbe(port, timing)], FAST))).toBe(false);
  });

  it('needs successThreshold consecutive connections (TestKnTCPProbeSuccessWithThreshold)', async () => {
    const server = await tcpServer();
    expect(await probeOnce(new ReadinessProber([tcpProbe(server.port, { successThreshold: 3 })], FAST))).toBe(true);
    expect(server.accepted()).toBeGreaterThanOrEqual(3);
  });
});

describe('ReadinessProber: HTTP', () => {
  it.each([
    [200, true],
    [204, true],
    [301, true],
    [399, true],
    [400, false],
    [404, false],
    [500, false],
    [503, false],
  ])('status %d → ready %s, in one attempt when periodSeconds > 0', async (status, ready) => {
    const server = await statusServer(() => status);
    expect(await probeOnce(new ReadinessProber([httpProbe(server.port, { periodSeconds: 1 })]))).toBe(ready);
    expect(server.requests).toHaveLength(1);
  });

  it('sends GET with UA kube-probe//, the user headers, no keep-alive (TestHTTPProbeSuccess)', async () => {
    const server = await statusServer(() => 200);
    const probe = httpProbe(
      server.port,
      { periodSeconds: 1 },
      {
        path: '/health?full=1',
        httpHeaders: [
          { name: 'X-Custom', value: 'a' },
          { name: 'x-custom', value: 'b' },
          { name: 'Host', value: 'ignored.example' },
          { name: 'User-Agent', value: 'ignored' },
        ],
      },
    );
    expect(await probeOnce(new ReadinessProber([probe]))).toBe(true);
    const [request] = server.requests;
    expect(request?.url).toBe('/health?full=1');
    expect(request?.headers).toMatchObject({
      'user-agent': 'kube-probe//',
      'x-custom': 'a, b',
      host: `127.0.0.1:${String(server.port)}`,
      connection: 'close',
      'accept-encoding': 'gzip',
    });
    expect(request?.headers).not.toHaveProperty('k-network-probe');
    expect(request?.rawHeaders.filter((h) => h.toLowerCase() === 'user-agent')).toHaveLength(1);
  });

  it('keeps a user Accept-Encoding', async () => {
    const server = await statusServer(() => 200);
    const probe = httpProbe(server.port, { periodSeconds: 1 }, { httpHeaders: [{ name: 'Accept-Encoding', value: 'identity' }] });
    expect(await probeOnce(new ReadinessProber([probe]))).toBe(true);
    expect(server.requests[0]?.headers['accept-encoding']).toBe('identity');
  });

  it('drains a large body and still reports the status', async () => {
    const server = await httpServer((_req, res) => {
      res.statusCode = 200;
      res.end(Buffer.alloc(4 * 1024 * 1024, 'x'));
    });
    expect(await probeOnce(new ReadinessProber([httpProbe(server.port, { periodSeconds: 1 })]))).toBe(true);
  });

  it('fails when the server does not answer within timeoutSeconds (TestHTTPTimeout)', async () => {
    const server = await httpServer(() => undefined); // never responds
    const started = performance.now();
    const ready = await probeOnce(new ReadinessProber([httpProbe(server.port, { periodSeconds: 1, timeoutSeconds: 1 })]));
    const elapsed = performance.now() - started;
    expect(ready).toBe(false);
    expect(server.requests).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5000);
  });

  it('fails an aggressive attempt after 100 ms without an answer, and retries', async () => {
    const server = await httpServer(() => undefined);
    expect(await probeOnce(new ReadinessProber([httpProbe(server.port)], FAST))).toBe(false);
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
  });

  it('retries until the app is ready (TestKnHTTPSuccessWithRetry)', async () => {
    const server = await statusServer((hit) => (hit <= 2 ? 503 : 200));
    expect(await probeOnce(new ReadinessProber([httpProbe(server.port)]))).toBe(true);
    expect(server.requests).toHaveLength(3);
  });

  it('needs successThreshold successes in a row, and the count persists across runs (TestKnHTTPSuccessWithThreshold)', async () => {
    const server = await statusServer(() => 200);
    const prober = new ReadinessProber([httpProbe(server.port, { successThreshold: 3 })]);
    expect(await probeOnce(prober)).toBe(true);
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
    const afterFirst = server.requests.length;
    // Knative never resets the count on success, so the next run passes on its first success.
    expect(await probeOnce(prober)).toBe(true);
    expect(server.requests.length).toBe(afterFirst + 1);
  });

  it('a failure resets the consecutive count (TestKnHTTPSuccessWithThresholdAndFailure)', async () => {
    const server = await statusServer((hit) => (hit === 2 ? 500 : 200));
    expect(await probeOnce(new ReadinessProber([httpProbe(server.port, { successThreshold: 3 })]))).toBe(true);
    // ok, fail (count back to 0), ok, ok, ok
    expect(server.requests).toHaveLength(5);
  });

  it('logs the last error once when the poll times out (TestAggressiveFailureOnlyLogsOnce)', async () => {
    const server = await statusServer(() => 500);
    const logger = recordingLogger();
    expect(await probeOnce(new ReadinessProber([httpProbe(server.port)], { ...FAST, logger }))).toBe(false);
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.message).toBe('aggressive probe error');
    expect(logger.warnings[0]?.fields['failures']).toBe(server.requests.length);
    expect(String(logger.warnings[0]?.fields['err'])).toContain('got status code: 500');
  });

  it('does not cache: every call probes again', async () => {
    let status = 200;
    const server = await statusServer(() => status);
    const prober = new ReadinessProber([httpProbe(server.port, { periodSeconds: 1 })]);
    expect(await probeOnce(prober)).toBe(true);
    status = 503;
    expect(await probeOnce(prober)).toBe(false);
    expect(server.requests).toHaveLength(2);
  });
});

describe('ReadinessProber: several probes', () => {
  it.each([
    [200, true],
    [500, false],
  ])('runs all in parallel and needs all to pass (HTTP %d)', async (status, ready) => {
    const tcp = await tcpServer();
    const http = await statusServer(() => status);
    const prober = new ReadinessProber([tcpProbe(tcp.port, { periodSeconds: 1 }), httpProbe(http.port, { periodSeconds: 1 })]);
    expect(await probeOnce(prober)).toBe(ready);
    expect(tcp.accepted()).toBe(1);
    expect(http.requests).toHaveLength(1);
  });
});

describe('ReadinessProber: concurrent callers', () => {
  it('share the run in flight (TestHTTPManyParallel: 2 parallel + 1 later → 2 hits)', async () => {
    const held: ServerResponse[] = [];
    const server = await httpServer((_req, res) => {
      held.push(res);
      server.server.emit('held');
    });
    const prober = new ReadinessProber([httpProbe(server.port, { periodSeconds: 1 })]);
    const arrived = once(server.server, 'held');
    const first = probeOnce(prober);
    const second = probeOnce(prober);
    await arrived;
    held.shift()?.end();
    expect(await Promise.all([first, second])).toEqual([true, true]);

    const later = probeOnce(prober);
    await once(server.server, 'held');
    held.shift()?.end();
    expect(await later).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it('answers "not ready" at once beyond maxWaiters', async () => {
    const held: ServerResponse[] = [];
    const server = await httpServer((_req, res) => {
      held.push(res);
      server.server.emit('held');
    });
    const prober = new ReadinessProber([httpProbe(server.port, { periodSeconds: 1 })], { maxWaiters: 2 });
    const arrived = once(server.server, 'held');
    const first = probeOnce(prober);
    const second = probeOnce(prober);
    let third: boolean | undefined;
    prober.probe((r) => (third = r));
    expect(third).toBe(false);
    await arrived;
    held.shift()?.end();
    expect(await Promise.all([first, second])).toEqual([true, true]);
  });

  it('a callback that probes again starts a fresh run', async () => {
    const server = await statusServer(() => 200);
    const prober = new ReadinessProber([httpProbe(server.port, { periodSeconds: 1 })]);
    const again = await new Promise<boolean>((resolve) => prober.probe(() => prober.probe(resolve)));
    expect(again).toBe(true);
    expect(server.requests).toHaveLength(2);
  });
});

describe('ReadinessProber: options', () => {
  it.each([
    [{ pollTimeoutMs: 0 }, /pollTimeoutMs must be a positive number, got 0/u],
    [{ pollTimeoutMs: Number.NaN }, /pollTimeoutMs must be a positive number, got NaN/u],
    [{ maxWaiters: 0 }, /maxWaiters must be a positive integer, got 0/u],
    [{ maxWaiters: 1.5 }, /maxWaiters must be a positive integer, got 1\.5/u],
  ])('%j is refused', (options, message) => {
    expect(() => new ReadinessProber([], options)).toThrow(message);
  });

  it('accepts a pino logger', async () => {
    const logger: ProberLogger = pino({ level: 'silent' });
    const port = await closedPort();
    expect(await probeOnce(new ReadinessProber([tcpProbe(port)], { ...FAST, logger }))).toBe(false);
  });
});
