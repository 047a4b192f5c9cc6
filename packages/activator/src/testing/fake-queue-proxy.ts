/**
 * Test double of a pod's queue-proxy on a real socket: answers the activator's readiness probe
 * (`K-Network-Probe: queue`) with 200 `queue` once `setReady()` was called and 503 before, and answers every other
 * request itself with JSON describing what it received, recording arrivals and concurrency. Requests can be held
 * until released, to control exactly when pod slots free up.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ReceivedRequest {
  readonly atMs: number;
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface FakeQueueProxy {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly ready: boolean;
  readonly readyAtMs: number;
  readonly probes: ReceivedRequest[];
  readonly requests: ReceivedRequest[];
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Response delay of ordinary requests. */
  delayMs: number;
  /** When true, ordinary requests wait for `releaseOne()`/`releaseAll()`. */
  hold: boolean;
  setReady(): void;
  releaseOne(): boolean;
  releaseAll(): void;
  /** Resolves when `n` ordinary requests have arrived in total. */
  waitForRequests(n: number): Promise<void>;
  waitForProbes(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeQueueProxy(id: string): Promise<FakeQueueProxy> {
  let ready = false;
  let readyAtMs = Number.NaN;
  let inFlight = 0;
  let maxInFlight = 0;
  const probes: ReceivedRequest[] = [];
  const requests: ReceivedRequest[] = [];
  const held: (() => void)[] = [];
  const waiters: { n: number; probes: boolean; resolve: () => void }[] = [];
  const check = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w === undefined) continue;
      if ((w.probes ? probes.length : requests.length) >= w.n) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };

  const server = http.createServer((req, res) => {
    const rec: ReceivedRequest = {
      atMs: performance.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
    };
    if (req.headers['k-network-probe'] === 'queue') {
      probes.push(rec);
      check();
      if (ready) res.writeHead(200, { 'Content-Type': 'text/plain' }).end('queue');
      else res.writeHead(503).end('not ready');
      return;
    }
    requests.push(rec);
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    check();
    const answer = (): void => {
      inFlight--;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({ pod: id, host: req.headers.host, headers: req.headers, path: req.url }),
      );
    };
    req.resume();
    req.on('end', () => {
      if (fake.hold) held.push(answer);
      else if (fake.delayMs > 0) setTimeout(answer, fake.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  const fake: FakeQueueProxy = {
    id,
    host: '127.0.0.1',
    port,
    get ready() {
      return ready;
    },
    get readyAtMs() {
      return readyAtMs;
    },
    probes,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    delayMs: 0,
    hold: false,
    setReady(): void {
      ready = true;
      readyAtMs = performance.now();
    },
    releaseOne(): boolean {
      const a = held.shift();
      if (a === undefined) return false;
      a();
      return true;
    },
    releaseAll(): void {
      for (const a of held.splice(0)) a();
    },
    waitForRequests(n: number): Promise<void> {
      return new Promise((resolve) => {
        waiters.push({ n, probes: false, resolve });
        check();
      });
    },
    waitForProbes(n: number): Promise<void> {
      return new Promise((resolve) => {
        waiters.push({ n, probes: true, resolve });
        check();
      });
    },
    close(): Promise<void> {
      fake.hold = false;
      for (const a of held.splice(0)) a();
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
  return fake;
}
