/**
 * The one request abstraction every kdp proxy (queue-proxy, activator, router) is written against.
 *
 * Two engines implement it:
 *  - the byte-level HTTP/1.1 fast path (`http1/`), for plain HTTP/1.1 requests;
 *  - the node:http / node:http2 fallback (`fallback/`), for everything else: HTTP/1.0, `Expect`, upgrades
 *    (websockets), h2c.
 * A handler never knows which engine serves it. The engine owns sockets, framing, header edits, streaming,
 * backpressure, timeouts and upstream pooling; the handler owns policy (probes, drain, breaker, stats, routing).
 */
import type { Upstream } from './upstream.js';

/** Flat header list as on the wire: [name, value, name, value, ...]; names keep their case. */
export type HeaderList = readonly string[];

export type Protocol = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2.0';

/**
 * How an exchange ended. Exactly one `onFinish` call per exchange.
 * - `complete`: the response was written in full (locally generated or proxied).
 * - `client-aborted`: the client went away before the response was complete; upstream was aborted.
 * - `upstream-error`: upstream failed. Before the response started the engine answered 502; after, it aborted
 *   the client connection (as Go's ReverseProxy does).
 * - `timeout`: a timeout fired; the engine answered 504 or appended the timeout message (see `Timeouts`).
 */
export type Outcome = 'complete' | 'client-aborted' | 'upstream-error' | 'timeout';

export type FinishListener = (ex: Exchange, outcome: Outcome, status: number) => void;

/**
 * Timeouts of Knative's `pkg/http/handler/timeout.go`, all counted from the `setTimeouts` call.
 * 0 disables a timer. When one fires:
 *  - nothing written to the client yet: `504` with body `message` and header `X-Kdp-Error: timeout`;
 *  - response already started: `message` is appended to the body (chunked) or the connection is aborted
 *    (Content-Length framing), and the response ends;
 *  - upgraded connection: both sides are closed.
 * `responseStartMs` only fires if nothing has been written; `idleMs` fires when no byte was written to the client
 * for that long. Granularity is coarse (a shared sweep, ~25 ms): never use these for sub-50 ms deadlines.
 */
export interface Timeouts {
  readonly totalMs: number;
  readonly responseStartMs: number;
  readonly idleMs: number;
  readonly message: string;
}

/** Edits applied to the request head on its way upstream. Build these once at setup, not per request. */
export interface ForwardEdits {
  /** Lower-case names of request headers to drop, on top of the hop-by-hop ones the engine always drops. */
  readonly drop: ReadonlySet<string>;
  /** Headers appended to the upstream request after the surviving client headers. */
  readonly add: HeaderList;
  /** Append the client's address to `X-Forwarded-For`, as Go's ReverseProxy does. */
  readonly appendXff: boolean;
}

export interface Exchange {
  readonly method: string;
  /** The request-target exactly as received (origin-form path + query). */
  readonly target: string;
  readonly protocol: Protocol;
  /** Peer IP address of the client connection (no port). */
  readonly remoteAddress: string;
  /** Arrival time (`performance.now()` ms) of the request head. */
  readonly startedAt: number;
  /** True once a status line (or 1xx) was written to the client. */
  readonly responseStarted: boolean;
  /** When that happened (`performance.now()` ms, the clock of `startedAt`); 0 while nothing was written. */
  readonly responseStartedAt: number;
  /** True once the exchange finished (after `onFinish`). */
  readonly finished: boolean;

  /** First value of a request header; `lowerName` must be lower case. */
  header(lowerName: string): string | undefined;

  /** Handler-owned slot for per-request state, so handlers need no per-request closures. */
  state: unknown;
  /** Called exactly once when the exchange ends, whatever the reason. Set it before `forward`/`respond`. */
  onFinish: FinishListener | null;

  /** Answer locally. Ignored if the response already started or the exchange finished. */
  respond(status: number, headers: HeaderList, body: string): void;
  /**
   * Proxy to `upstream`. `host` replaces the Host header (`K-Original-Host` restore); `undefined` keeps the
   * client's. Ignored if the exchange already finished (e.g. timed out while queued).
   */
  forward(upstream: Upstream, edits: ForwardEdits, host: string | undefined, extra?: HeaderList): void;
  /** Arm the timeouts; counted from now. Call at most once. */
  setTimeouts(t: Timeouts): void;
}

export type ExchangeHandler = (ex: Exchange) => void;

/**
 * Why a request provably never reached the application behind an upstream:
 * - `refused`: connecting to the upstream was refused (nothing listens there any more);
 * - `app-unreachable`: the upstream, a queue-proxy, answered `502` with `X-Kdp-Error: upstream-unreachable` and Go's
 *   dial error (`dial tcp …`): it could not connect to its application.
 */
export type UnreachableCause = 'refused' | 'app-unreachable';

/**
 * An upstream's failover hook (`UpstreamOptions.onUnreachable`). An engine calls it, instead of answering, only when
 * the request never reached the application (see `UnreachableCause`), has no body (so it can be sent again as it
 * was), nothing was written to the client, and the hook was not called for this exchange before. The exchange is
 * back in its state before `forward`: return true when the handler took it over again (it called `forward` to
 * another upstream, or will, or answered); false, and the engine answers as it would have without the hook.
 */
export type UnreachableHandler = (ex: Exchange, cause: UnreachableCause) => boolean;
