/**
 * What the stages of the activator's chain share: the handler shapes above the context handler (`KeyedHandler`:
 * the in-process entry carries the revision key the router found, the standalone one nothing), the shape below it
 * (`EntryHandler`: the revision is known), the one per-request record (`ActivatorRequest`, made by
 * `concurrency-reporter.ts`) and the stages that take it (`RequestStage`). Knative's handlers share the
 * `*http.Request` and its context instead.
 */
import type { Exchange, Outcome, UnreachableCause } from '@kdp/core';
import type { ColdStart } from '../cold-start.js';
import type { RevisionStat } from '../reporter.js';
import type { RevisionEntry } from '../revisions.js';
import { ThrottleTicket } from '../throttler.js';
import type { ThrottleFailure } from '../throttler.js';

/** A handler above the context handler; `K` is what the entry point knows of the revision (`string` key, or `void`). */
export type KeyedHandler<K> = (ex: Exchange, key: K) => void;

/** A handler below the context handler: the request's revision is known. */
export type EntryHandler = (ex: Exchange, entry: RevisionEntry) => void;

/**
 * A stage below the concurrency reporter. Stages are built once at setup, each holding the next one; per request
 * nothing is allocated but the record.
 */
export interface RequestStage {
  /** The request reached this stage: answer it, or pass it on with `next.serve(p)` (now or later). */
  serve(p: ActivatorRequest): void;
  /**
   * The exchange ended (once, whatever the outcome; also for requests this stage never saw). A stage calls
   * `next.finish` first and then undoes what its `serve` did, so the innermost stage finishes first, as Go's
   * deferred calls unwind. `now` is the activator clock's time, taken once when the exchange ended.
   */
  finish(p: ActivatorRequest, outcome: Outcome, status: number, now: number): void;
}

/** Where the throttler's callbacks for a request go (`throttle.ts`); set when the request reaches that stage. */
export interface ThrottleListener {
  granted(p: ActivatorRequest): void;
  failed(p: ActivatorRequest, reason: ThrottleFailure): void;
  elsewhere(p: ActivatorRequest, cause: UnreachableCause): boolean;
}

/** One request: its throttle ticket plus what the stages and `finish` need. Lives in `Exchange.state`. */
export class ActivatorRequest extends ThrottleTicket {
  /** The cold start this request measures the first byte of. */
  cold: ColdStart | null = null;
  /** Waited with no ready pod (part of a cold episode). */
  buffered = false;
  /** Already sent to a second pod after the first proved unreachable. */
  retried = false;
  /** The throttle stage, once the request reached it. */
  gate: ThrottleListener | null = null;

  constructor(
    readonly ex: Exchange,
    readonly entry: RevisionEntry,
    readonly stat: RevisionStat,
    readonly arrivedAtMs: number,
  ) {
    super(entry.throttler);
  }

  onThrottleGrant(): void {
    this.gate?.granted(this);
  }

  onThrottleFailed(reason: ThrottleFailure): void {
    this.gate?.failed(this, reason);
  }

  override onUpstreamUnreachable(cause: UnreachableCause): boolean {
    return this.gate?.elsewhere(this, cause) ?? false;
  }
}
