/**
 * kdp's side of a differential run (see `diff-harness.test-util.ts`): the engine wired as every kdp proxy wires it
 * (`startKdp`), the raw client that sends an input in segments (`sendSegments`), and the environment of one run
 * (`startDiffEnv`: both apps, the tap, kdp).
 */
import net from 'node:net';
import type { Exchange, ForwardEdits } from '../http/exchange.js';
import { Upstream } from '../http/upstream.js';
import { createFallbackEngine } from '../fallback/engine.js';
import type { FallbackEngine } from '../fallback/engine.js';
import { RecordingApp, Tap } from './diff-app.test-util.js';
import { Http1Engine } from './engine.js';

/**
 * After a side settled, late events (an extra response, a smuggled request reaching the app) still count: the
 * connection must stay quiet this long (reset by every byte). Longer for a server in another process.
 */
const GRACE_MS = { immediate: 80, timer: 250 } as const;

export const EDITS: ForwardEdits = { drop: new Set(), add: [], appendXff: true };

export interface Accepted {
  readonly method: string;
  readonly target: string;
  readonly protocol: string;
  status: number;
  outcome: string;
}

export interface KdpFixture {
  readonly engine: Http1Engine;
  readonly fallback: FallbackEngine;
  readonly upstream: Upstream;
  readonly port: number;
  readonly accepted: Accepted[];
  /**
   * 0: the handler forwards at once (the queue-proxy with no breaker). >0: it forwards that many ms later, as the
   * activator does for a request it buffers, so body and pipelined bytes arrive while the exchange is pending.
   */
  deferForwardMs: number;
  close(): Promise<void>;
}

/** kdp's engine as the queue-proxy, activator and router wire it: fast path + node:http fallback, one handler. */
export async function startKdp(upstreamPort: number, configure?: (ex: Exchange) => void): Promise<KdpFixture> {
  const upstream = new Upstream({ host: '127.0.0.1', port: upstreamPort, maxIdle: 10 });
  const accepted: Accepted[] = [];
  const fx = { accepted, deferForwardMs: 0 };
  const handler = (ex: Exchange): void => {
    const a: Accepted = { method: ex.method, target: ex.target, protocol: ex.protocol, status: 0, outcome: '' };
    accepted.push(a);
    ex.onFinish = (_e, outcome, status) => {
      a.status = status;
      a.outcome = outcome;
    };
    configure?.(ex);
    if (fx.deferForwardMs > 0) setTimeout(() => ex.forward(upstream, EDITS, undefined), fx.deferForwardMs);
    else ex.forward(upstream, EDITS, undefined);
  };
  const fallback = createFallbackEngine({ handler });
  const engine = new Http1Engine({ handler, fallback });
  const port = await engine.listen(0, '127.0.0.1');
  return Object.assign(fx, {
    engine,
    fallback,
    upstream,
    port,
    async close() {
      await engine.close(50);
      upstream.close();
    },
  });
}

// ------------------------------------------------------------------------------------------ the client

export type Pacing = 'immediate' | 'timer';

export interface ClientResult {
  readonly bytes: Buffer;
  /** The server closed (FIN or reset) before we gave up. */
  readonly closed: boolean;
  /** Time from the last byte sent to the settle point, ms. */
  readonly settledMs: number;
}

/**
 * Sends `segments` on one connection, one write per segment (each given its own event-loop turn, or a short timer
 * for a server in another process, so the server reads them separately), then waits until `settled(bytes)` holds
 * or the server closes, up to `boundMs`; then until the connection was quiet for `GRACE_MS`.
 */
export async function sendSegments(
  port: number,
  segments: readonly Buffer[],
  settled: (bytes: Buffer) => boolean,
  boundMs: number,
  pacing: Pacing = 'immediate',
): Promise<ClientResult> {
  const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  s.setNoDelay(true);
  const got: Buffer[] = [];
  let closed = false;
  let wake: () => void = () => undefined;
  s.on('data', (d: Buffer) => {
    got.push(d);
    wake();
  });
  s.on('error', () => undefined);
  s.on('end', () => {
    closed = true;
    wake();
  });
  s.on('close', () => {
    closed = true;
    wake();
  });
  await new Promise<void>((r, j) => {
    s.once('connect', r);
    s.once('error', j);
  });
  for (const seg of segments) {
    if (closed) break;
    await new Promise<void>((r) => s.write(seg, () => r()));
    await (pacing === 'immediate' ? new Promise((r) => setImmediate(r)) : new Promise((r) => setTimeout(r, 3)));
  }
  const sentAt = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, boundMs);
    wake = () => {
      if (closed || settled(Buffer.concat(got))) {
        clearTimeout(timer);
        resolve();
      }
    };
    wake();
  });
  const settledMs = performance.now() - sentAt;
  if (!closed) {
    await new Promise<void>((resolve) => {
      let t = setTimeout(resolve, GRACE_MS[pacing]);
      wake = () => {
        clearTimeout(t);
        t = setTimeout(resolve, closed ? 0 : GRACE_MS[pacing]);
      };
    });
  }
  s.destroy();
  return { bytes: Buffer.concat(got), closed, settledMs };
}

// ------------------------------------------------------------------------------------------ the environment of a run

/** kdp as the differential run sees it: in this process (the engine) or another one (the queue-proxy binary). */
export interface KdpTarget {
  readonly port: number;
  readonly pacing: Pacing;
  /** Header lines (CRLF-terminated) the fresh-connection check adds so this proxy routes it, e.g. a revision. */
  readonly routeHeaders?: string;
  /** Host of the fresh-connection check (default `fresh`), for a proxy that routes by Host. */
  readonly freshHost?: string;
  /** Before a run: forget the accepted list and, where possible, pooled upstream connections. */
  reset(): void;
  /**
   * The requests kdp's handler accepted in this run, in order. `atLeast` is how many it must have accepted by now
   * (responses the client got, requests the app saw), for a target that learns of them late (a log).
   */
  accepted(atLeast: number): Promise<{ method: string; target: string }[]>;
}

export function inProcessTarget(kdp: KdpFixture): KdpTarget {
  return {
    port: kdp.port,
    pacing: 'immediate',
    reset() {
      // Every run starts with empty upstream pools, so that each upstream connection it uses is one the tap saw open.
      kdp.upstream.close();
      kdp.accepted.length = 0;
    },
    accepted: () => Promise.resolve(kdp.accepted.map((a) => ({ method: a.method, target: a.target }))),
  };
}

export interface DiffEnv {
  readonly direct: RecordingApp;
  readonly behind: RecordingApp;
  readonly tap: Tap;
  readonly kdp: KdpTarget;
  /** The engine itself when it runs in this process. */
  readonly fixture: KdpFixture | null;
  close(): Promise<void>;
}

export async function startDiffEnv(): Promise<DiffEnv> {
  const direct = new RecordingApp(5000);
  const behind = new RecordingApp(5000);
  await Promise.all([direct.listen(), behind.listen()]);
  const tap = new Tap(behind.port);
  await tap.listen();
  const kdp = await startKdp(tap.port);
  return {
    direct,
    behind,
    tap,
    kdp: inProcessTarget(kdp),
    fixture: kdp,
    async close() {
      await kdp.close();
      await tap.close();
      await Promise.all([direct.close(), behind.close()]);
    },
  };
}
