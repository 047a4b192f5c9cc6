/**
 * What every fallback exchange shares: identity, the exactly-once `onFinish`, and the timeouts of Knative's
 * `pkg/http/handler/timeout.go` (docs/contract/queue-proxy.md §3) on one per-exchange timer.
 *
 * The slow path can afford a `setTimeout` per exchange; it is armed for the nearest deadline and re-armed, the way
 * Go's timeout handler re-arms its idle timer, so a write costs one `performance.now()` and no timer call.
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type {
  Exchange,
  FinishListener,
  UnreachableCause,
  ForwardEdits,
  HeaderList,
  Outcome,
  Protocol,
  Timeouts,
} from '../http/exchange.js';
import type { Upstream } from '../http/upstream.js';
import { errorHeaders, KDP_ERROR_HEADER, KdpCause, TEXT_ERROR_HEADERS } from '../errors.js';

/** The engine as its exchanges see it. */
export interface ExchangeOwner {
  /** True once `close()` started: responses that have not started get `Connection: close`. */
  readonly closing: boolean;
  exchangeEnded(ex: BaseExchange<string>): void;
}

/** Headers of a 502 the engine generated (Go's `http.Error` plus the kdp marker), as the fast path sends them. */
export const UNREACHABLE_HEADERS: HeaderList = errorHeaders(KdpCause.upstreamUnreachable);
/** Headers of a 504 the engine generated. */
export const TIMEOUT_HEADERS: HeaderList = errorHeaders(KdpCause.timeout);
/**
 * Headers of the 500 answered when the handler throws. The catalogue (`errors.ts`) has no cause for a handler bug
 * yet; until it does, the marker names it plainly.
 */
export const HANDLER_ERROR_HEADERS: HeaderList = Object.freeze([...TEXT_ERROR_HEADERS, KDP_ERROR_HEADER, 'handler-error']);

/** Peer IP without port; IPv4-mapped IPv6 addresses unmapped, as Go reports them. */
export function clientAddress(socket: Socket | null | undefined): string {
  const a = socket?.remoteAddress ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** Statuses whose responses carry no body, so no `Content-Length` is added to them. */
export function bodyless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/** Swallows an event nobody needs (stream `error`s a close or a reset already reports). */
export const ignore = (): void => undefined;

/** Where every exchange can be; an exchange adds its own phases through `BaseExchange<Extra>`. */
export type BasePhase = 'new' | 'forwarding' | 'local';

/**
 * The flow every exchange follows, whatever the protocol: `forward` once from `new`, `respond` until a response
 * started, a 502 when upstream fails before its head and an abort of the client's response after it. Subclasses
 * supply the protocol's side (`prepare`, `send`, `writeLocal`, `detachUpstream`, `abortClient`).
 */
export abstract class BaseExchange<Extra extends string = never> implements Exchange {
  state: unknown = undefined;
  onFinish: FinishListener | null = null;
  readonly startedAt: number = performance.now();

  /** Final status written to the client (0 while none was), reported to `onFinish`. */
  protected status = 0;
  /** Outcome decided before the response ends (error, timeout); the finish paths default to it. */
  protected outcome: Outcome | null = null;
  protected phase: BasePhase | Extra = 'new';
  /** Set by `forward`. */
  protected upstream: Upstream | null = null;
  /** Upstream framed its body with Content-Length: a timeout cannot append to it, only abort (docs/contract/queue-proxy.md §3.2). */
  protected declaredLength = false;
  /** The one retry on a fresh upstream connection or session was spent. */
  protected retried = false;

  private started = false;
  private done = false;
  /** `performance.now()` of the last write to the client the timeouts can see; -1 while none. */
  private lastWriteAt = -1;
  private armedAt = 0;
  private timeouts: Timeouts | null = null;
  private timer: NodeJS.Timeout | null = null;

  protected constructor(
    protected readonly owner: ExchangeOwner,
    readonly method: string,
    readonly target: string,
    readonly protocol: Protocol,
    readonly remoteAddress: string,
  ) {}

  get responseStarted(): boolean {
    return this.started;
  }

  /** `performance.now()` when the first status line went out; 0 before. */
  responseStartedAt = 0;

  get finished(): boolean {
    return this.done;
  }

  abstract header(lowerName: string): string | undefined;
  /** `close()` started. */
  abstract onEngineClosing(): void;

  /** A timeout fired: answer 504, or cut the started response (docs/contract/queue-proxy.md §3.2). Set `outcome` to 'timeout'. */
  protected abstract onTimeout(message: string): void;
  /** Release upstream resources; called once, from `finish`. */
  protected abstract release(): void;
  /** Builds the upstream request head from the client's; called once, from `forward`. */
  protected abstract prepare(upstream: Upstream, edits: ForwardEdits, host: string | undefined, extra: HeaderList | undefined): void;
  /** Sends the prepared request upstream (again, for the one retry). */
  protected abstract send(upstream: Upstream): void;
  /** Answers the client with a response of our own; sets `phase` to 'local'. */
  protected abstract writeLocal(status: number, headers: HeaderList, body: string): void;
  /** Stops relaying between upstream and client, and lets go of the upstream request. */
  protected abstract detachUpstream(): void;
  /** Cuts the client's response as failed (connection or stream reset). */
  protected abstract abortClient(): void;

  respond(status: number, headers: HeaderList, body: string): void {
    if (this.finished || this.responseStarted || this.phase === 'local') return;
    this.detachUpstream();
    this.writeLocal(status, headers, body);
  }

  forward(upstream: Upstream, edits: ForwardEdits, host: string | undefined, extra?: HeaderList): void {
    if (this.finished || this.phase !== 'new') return;
    this.phase = 'forwarding';
    this.upstream = upstream;
    this.prepare(upstream, edits, host, extra);
    this.send(upstream);
  }

  /** `close()` grace expired: end now with outcome 'timeout' and destroy what is left. */
  kill(): void {
    if (this.finished) return;
    this.outcome = 'timeout';
    this.finish('timeout');
    this.destroyClient();
  }

  setTimeouts(t: Timeouts): void {
    if (this.timeouts !== null || this.done) return;
    this.timeouts = t;
    this.armedAt = performance.now();
    this.schedule(this.armedAt);
  }

  /** A status line (final or 1xx) went to the client. */
  protected markStarted(): void {
    if (!this.started) this.responseStartedAt = performance.now();
    this.started = true;
  }

  /** Bytes went to the client through the response (not through a hijacked tunnel: docs/contract/queue-proxy.md §3.4). */
  protected noteWrite(): void {
    this.lastWriteAt = performance.now();
  }

  /** The final response head went to the client. */
  protected noteHead(status: number): void {
    this.status = status;
    this.lastWriteAt = performance.now();
    if (!this.started) this.responseStartedAt = this.lastWriteAt;
    this.started = true;
  }

  /** Counts each upstream body chunk relayed as a write (idle timeout); one listener per exchange, made once. */
  protected readonly onUpstreamData = (): void => {
    this.noteWrite();
  };

  /** What `kill` leaves of the client's side; the same as a failure unless the protocol tells them apart. */
  protected destroyClient(): void {
    this.abortClient();
  }

  /** Upstream failed after the head went out: abort the client's response (Go panics with ErrAbortHandler). */
  protected broken(): void {
    if (this.finished || this.outcome !== null) return;
    this.outcome = 'upstream-error';
    this.detachUpstream();
    this.abortClient();
  }

  /** The upstream's failover hook was offered this exchange (once at most). */
  private offered = false;

  /**
   * Offers a request that provably never reached the application (and has no body: the caller checks) to the
   * upstream's `onUnreachable` hook. True when the handler took the exchange over: it is back in phase `new`, so
   * the handler may `forward` it to another upstream now or later, or answer it. False: the caller answers.
   */
  protected offerElsewhere(cause: UnreachableCause): boolean {
    const hook = this.upstream?.onUnreachable ?? null;
    if (hook === null || this.offered || this.started || this.done || this.phase !== 'forwarding') return false;
    this.offered = true;
    this.detachUpstream();
    this.phase = 'new';
    // The stale-socket retry belongs to one upstream; the next one gets its own.
    const retried = this.retried;
    this.retried = false;
    if (hook(this, cause)) return true;
    if (this.phase === 'new') this.phase = 'forwarding';
    this.retried = retried;
    return false;
  }

  /** Upstream failed before its head: answer 502 with Go's error text. */
  protected fail502(text: string): void {
    if (this.finished) return;
    this.outcome = 'upstream-error';
    this.writeLocal(502, UNREACHABLE_HEADERS, `${text}\n`);
  }

  /** Ends the exchange exactly once: timers cleared, upstream released, then `onFinish`. */
  protected finish(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    try {
      this.release();
      const cb = this.onFinish;
      if (cb !== null) cb(this, outcome, this.status);
    } finally {
      this.owner.exchangeEnded(this);
    }
  }

  private deadline(t: Timeouts): number {
    let d = Infinity;
    if (t.totalMs > 0) d = this.armedAt + t.totalMs;
    if (t.responseStartMs > 0 && this.lastWriteAt < 0) d = Math.min(d, this.armedAt + t.responseStartMs);
    // Nothing written counts as idle since the timers were armed (Go: zero lastWriteTime, so "infinitely" idle).
    if (t.idleMs > 0) d = Math.min(d, (this.lastWriteAt < 0 ? this.armedAt : this.lastWriteAt) + t.idleMs);
    return d;
  }

  private schedule(now: number): void {
    const t = this.timeouts;
    if (t === null) return;
    const d = this.deadline(t);
    if (d === Infinity) return;
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(d - now)));
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    const t = this.timeouts;
    if (this.done || t === null) return;
    const now = performance.now();
    // Timers may wake a fraction of a millisecond early (loop time is cached in whole ms).
    if (now + 0.5 >= this.deadline(t)) this.onTimeout(t.message);
    else this.schedule(now);
  };
}
