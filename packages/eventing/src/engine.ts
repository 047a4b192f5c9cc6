// The broker's core: accept an event (durably, before the producer hears 202), fan it out to the Ready Triggers of
// its Broker whose filter matches, deliver each copy with Knative's retry policy, re-ingest replies with TTL − 1,
// send what fails for good to the dead-letter sink, or keep it as a dead letter to list and redeliver.
//
// Durability: every change is collected into one Batch per event-loop turn and committed at once (group commit).
// An accepted event, and the deliveries it owes, are committed before its callback runs (and so before the 202);
// deliveries start only after that commit. Completion, retry state and dead letters ride on later batches: if kdp
// dies before one commits, the delivery is made again after the restart (at least once; duplicates possible).
//
// Delivery follows knative/eventing pkg/broker/filter/filter_handler.go and pkg/kncloudevents/event_dispatcher.go:
// binary mode, the TTL extension removed, `Prefer: reply` and `Kn-Namespace` added; a 2xx response that is a
// CloudEvent is a reply, one that is no CloudEvent at all is discarded (a success), a malformed one is a failure
// (502); the dead-letter sink gets the event plus `knativeerrordest`, `knativeerrorcode`, `knativeerrordata`.
//
// Beside it: broker-engine.ts (the BrokerEngine interface, constants and refusals it shares with nats-engine.ts),
// engine-records.ts (its in-memory records) and retry-schedule.ts (the one timer for deliveries waiting to retry).

import type { Logger } from '@kdp/core';
import { attemptDelivery, type Outcome } from './attempt.js';
import {
  ARRIVAL_ATTRIBUTE, DEFAULT_TTL, ERROR_DATA_MAX_LENGTH, Refusal, TTL_ATTRIBUTE, emptyEngineStats,
  type AcceptCallback, type BrokerEngine, type EngineStats, type TriggerConfig,
} from './broker-engine.js';
import type { CloudEvent } from './cloudevent.js';
import { backoffMs, isRetryable } from './delivery.js';
import { compactQueue, memEvent, triggerQueue, type Delivery, type MemEvent, type PendingAccept, type TriggerQueue } from './engine-records.js';
import { RetrySchedule } from './retry-schedule.js';
import type { Sender } from './sender.js';
import { batchSize, emptyBatch, type Batch, type DeadLetter, type EventStore } from './store.js';

export interface EngineOptions {
  readonly store: EventStore;
  readonly sender: Sender;
  readonly logger: Logger;
  /** Wall clock, ms (retry times are stored, so they must survive a restart). */
  readonly now?: () => number;
  /** Accepted but undelivered event bytes held in memory before the ingress answers 503. */
  readonly maxPendingBytes?: number;
  /** Events waiting for the next commit before the ingress answers 503 (the store is not keeping up). */
  readonly maxUncommitted?: number;
}

/** 256 MiB of undelivered events in memory; beyond it the ingress sheds load with 503 + Retry-After. */
const DEFAULT_MAX_PENDING_BYTES = 256 * 1024 * 1024;
/** One commit of this many events takes ~100 ms here; more waiting means the disk is not keeping up. */
const DEFAULT_MAX_UNCOMMITTED = 20_000;

export class EventingEngine implements BrokerEngine {
  readonly #store: EventStore;
  readonly #sender: Sender;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #maxPendingBytes: number;
  readonly #maxUncommitted: number;
  readonly #brokers = new Set<string>();
  readonly #queues = new Map<string, TriggerQueue>();
  readonly #byBroker = new Map<string, TriggerQueue[]>();
  readonly #live = new Map<number, MemEvent>();
  readonly #retries: RetrySchedule<Delivery>;
  #nextSeq = 1;
  #batch: Batch = emptyBatch();
  #pendingAccepts: PendingAccept[] = [];
  #flushScheduled = false;
  #closed = false;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  readonly stats: EngineStats = emptyEngineStats();

  constructor(o: EngineOptions) {
    this.#store = o.store;
    this.#sender = o.sender;
    this.#logger = o.logger;
    this.#now = o.now ?? Date.now;
    this.#maxPendingBytes = o.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.#maxUncommitted = o.maxUncommitted ?? DEFAULT_MAX_UNCOMMITTED;
    this.#retries = new RetrySchedule(this.#now, (due) => this.#onRetriesDue(due));
  }

  /** Loads what the store still owes; deliveries start once their Trigger is configured. Returns how many. */
  start(): number {
    const r = this.#store.recover();
    this.#nextSeq = r.nextSeq;
    for (const e of r.events) {
      const ev = memEvent(e.seq, e.broker, e.event);
      ev.deadRefs = r.deadCounts.get(e.seq) ?? 0;
      this.#live.set(e.seq, ev);
      this.stats.pendingEvents++;
      this.stats.pendingBytes += ev.bytes;
    }
    const now = this.#now();
    for (const d of r.deliveries) {
      const ev = this.#live.get(d.seq);
      if (ev === undefined) continue;
      ev.refs++;
      const q = this.#queue(d.trigger);
      const del: Delivery = { ev, q, attempts: d.attempts, phase: 'subscriber', lastStatus: 0, lastError: '', failedUrl: '', dueMs: d.notBeforeMs };
      if (d.notBeforeMs > now) this.#retries.push(del);
      else q.ready.push(del);
    }
    this.stats.resumedAtStart = r.deliveries.length;
    this.#retries.arm();
    return r.deliveries.length;
  }

  /** Replaces the set of Brokers and Triggers (the control plane calls it on every change). */
  configure(brokers: readonly string[], triggers: readonly TriggerConfig[]): void {
    this.#brokers.clear();
    for (const b of brokers) this.#brokers.add(b);
    for (const q of this.#queues.values()) q.cfg = undefined;
    this.#byBroker.clear();
    for (const t of triggers) {
      const q = this.#queue(t.key);
      q.cfg = t;
      let list = this.#byBroker.get(t.broker);
      if (list === undefined) this.#byBroker.set(t.broker, (list = []));
      list.push(q);
    }
    for (const q of this.#queues.values()) this.#pump(q);
  }

  hasBroker(key: string): boolean {
    return this.#brokers.has(key);
  }

  /**
   * Accepts `event` into Broker `broker` (`namespace/name`): stamps arrival time and TTL, stores it with the
   * deliveries it owes, then calls `cb` (undefined: accepted, durable). `cb` may run synchronously for a refusal.
   */
  accept(broker: string, event: CloudEvent, cb: AcceptCallback): void {
    if (this.#closed) return cb(new Refusal('shutting-down', 'the broker is shutting down'));
    if (!this.#brokers.has(broker)) return cb(new Refusal('unknown-broker', `broker ${JSON.stringify(broker)} not found`));
    const rawTtl = event.attrs[TTL_ATTRIBUTE];
    let ttl = DEFAULT_TTL;
    if (rawTtl !== undefined) {
      ttl = Number(rawTtl);
      if (!Number.isInteger(ttl)) return cb(new Refusal('ttl-exhausted', `${TTL_ATTRIBUTE}: not an integer: ${JSON.stringify(rawTtl)}`));
      if (ttl <= 0) return cb(new Refusal('ttl-exhausted', `${TTL_ATTRIBUTE}: TTL exhausted (${String(ttl)})`));
    }
    if (this.stats.pendingBytes >= this.#maxPendingBytes) {
      return cb(new Refusal('overloaded', `${String(this.stats.pendingEvents)} events (${String(this.stats.pendingBytes)} bytes) wait for delivery; the limit is ${String(this.#maxPendingBytes)} bytes`));
    }
    if (this.#batch.events.length >= this.#maxUncommitted) {
      return cb(new Refusal('overloaded', `${String(this.#batch.events.length)} events wait for the store to commit`));
    }
    event.attrs[TTL_ATTRIBUTE] = String(ttl);
    event.attrs[ARRIVAL_ATTRIBUTE] = new Date(this.#now()).toISOString();
    const queues = this.#byBroker.get(broker);
    const targets: TriggerQueue[] = [];
    if (queues !== undefined) for (const q of queues) if (q.cfg !== undefined && q.cfg.ready && q.cfg.predicate(event)) targets.push(q);
    this.stats.accepted++;
    // Nothing owed: accepted, and there is nothing to keep (as Knative's broker with no matching trigger).
    if (targets.length === 0) return cb(undefined);
    const ev = memEvent(this.#nextSeq++, broker, event);
    const acceptedMs = this.#now();
    this.#batch.events.push({ seq: ev.seq, broker, event, acceptedMs });
    const deliveries: Delivery[] = [];
    for (const q of targets) {
      deliveries.push({ ev, q, attempts: 0, phase: 'subscriber', lastStatus: 0, lastError: '', failedUrl: '', dueMs: 0 });
      this.#batch.deliveries.push({ seq: ev.seq, trigger: q.key, attempts: 0, notBeforeMs: 0 });
    }
    ev.refs = deliveries.length;
    this.stats.pendingEvents++;
    this.stats.pendingBytes += ev.bytes;
    this.#pendingAccepts.push({ ev, deliveries, cb });
    this.#scheduleFlush();
  }

  /** Dead letters kept in the store (all, or one Trigger's). */
  deadLetters(trigger: string | undefined): DeadLetter[] {
    return this.#store.deadLetters(trigger);
  }

  /** Puts dead letters back into delivery, attempts from zero; returns how many. */
  redeliver(trigger: string | undefined, seqs?: ReadonlySet<number>): number {
    let n = 0;
    const all = this.#store.deadLetters(undefined);
    const deadCounts = new Map<number, number>();
    for (const dl of all) deadCounts.set(dl.seq, (deadCounts.get(dl.seq) ?? 0) + 1);
    for (const dl of all) {
      if (trigger !== undefined && dl.trigger !== trigger) continue;
      if (seqs !== undefined && !seqs.has(dl.seq)) continue;
      let ev = this.#live.get(dl.seq);
      if (ev === undefined) {
        ev = memEvent(dl.seq, dl.event.broker, dl.event.event);
        // Every dead row of this event is in the store; each one redelivered leaves that state below.
        ev.deadRefs = deadCounts.get(dl.seq) ?? 0;
        this.#live.set(dl.seq, ev);
        this.stats.pendingEvents++;
        this.stats.pendingBytes += ev.bytes;
      }
      ev.deadRefs = Math.max(0, ev.deadRefs - 1);
      ev.refs++;
      const q = this.#queue(dl.trigger);
      q.ready.push({ ev, q, attempts: 0, phase: 'subscriber', lastStatus: 0, lastError: '', failedUrl: '', dueMs: 0 });
      this.#batch.revived.push({ seq: dl.seq, trigger: dl.trigger });
      n++;
    }
    if (n > 0) {
      this.#scheduleFlush();
      for (const q of this.#queues.values()) this.#pump(q);
    }
    return n;
  }

  /** Stops accepting, lets deliveries in flight finish (up to `graceMs`), commits what is left, closes the store. */
  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#retries.stop();
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        this.#idle = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    this.#flush();
    this.#store.close();
    this.#sender.close();
  }

  #queue(key: string): TriggerQueue {
    let q = this.#queues.get(key);
    if (q === undefined) {
      q = triggerQueue(key);
      this.#queues.set(key, q);
    }
    return q;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const batch = this.#batch;
    const accepts = this.#pendingAccepts;
    if (batchSize(batch) === 0) return;
    this.#batch = emptyBatch();
    this.#pendingAccepts = [];
    try {
      this.#store.commit(batch);
      this.stats.commits++;
    } catch (err) {
      this.#logger.error({ err, events: batch.events.length }, 'event store commit failed');
      for (const a of accepts) {
        this.stats.pendingEvents--;
        this.stats.pendingBytes -= a.ev.bytes;
        this.stats.accepted--;
        a.cb(new Refusal('store-failed', `the event store could not write: ${(err as Error).message}`));
      }
      return;
    }
    if (accepts.length === 0) return;
    // Only what accepts events waits for the power-loss sync; the loop goes on meanwhile (the next batch commits).
    if (this.#store.sync !== undefined && batch.events.length > 0) this.#store.sync((err) => this.#accepted(accepts, err));
    else this.#accepted(accepts, undefined);
  }

  /** Accepted events are durable: answer their producers and start their deliveries. */
  #accepted(accepts: readonly PendingAccept[], syncErr: Error | undefined): void {
    if (syncErr !== undefined) this.#logger.error({ err: syncErr, events: accepts.length }, 'event store sync failed');
    // Committed either way, so delivered either way; after a failed sync the producer hears 503 (it may send again:
    // at least once).
    const refusal = syncErr === undefined ? undefined : new Refusal('store-failed', `the event store could not sync: ${syncErr.message}`);
    const touched = new Set<TriggerQueue>();
    for (const a of accepts) {
      this.#live.set(a.ev.seq, a.ev);
      for (const d of a.deliveries) {
        d.q.ready.push(d);
        touched.add(d.q);
      }
      a.cb(refusal);
    }
    for (const q of touched) this.#pump(q);
  }

  #pump(q: TriggerQueue): void {
    const cfg = q.cfg;
    if (cfg === undefined || this.#closed) return;
    const limit = cfg.inFlightLimit();
    while (q.head < q.ready.length && (limit <= 0 || q.inFlight < limit)) {
      const d = q.ready[q.head];
      q.ready[q.head++] = undefined as unknown as Delivery;
      if (d === undefined) continue;
      this.#attempt(d, cfg);
    }
    compactQueue(q);
  }

  #attempt(d: Delivery, cfg: TriggerConfig): void {
    const toDls = d.phase === 'dead-letter-sink';
    const target = toDls ? cfg.deadLetterSink : cfg.subscriber;
    if (target === undefined) {
      // The dead-letter sink was removed while this delivery waited for it: keep it as a dead letter.
      this.#dead(d);
      return;
    }
    d.q.inFlight++;
    this.#inFlight++;
    const failure = toDls ? { dest: d.failedUrl, code: d.lastStatus, data: d.lastError } : undefined;
    attemptDelivery(this.#sender, target, d.ev.event, cfg.namespace, cfg.policy.timeoutMs, failure, (o) => this.#onOutcome(d, cfg, o));
  }

  #onOutcome(d: Delivery, cfg: TriggerConfig, o: Outcome): void {
    d.q.inFlight--;
    this.#inFlight--;
    if (this.#closed) {
      // A success is recorded; anything else is delivered again after the restart (at least once).
      if (o.kind !== 'failure') this.#complete(d);
      if (this.#inFlight === 0) this.#idle?.();
      return;
    }
    switch (o.kind) {
      case 'success':
        this.#complete(d);
        break;
      case 'reply':
        this.#reinject(d, o.event);
        break;
      case 'failure':
        this.#failed(d, cfg, o.status, o.error, o.retryAfterMs);
        break;
    }
    this.#pump(d.q);
  }

  #reinject(d: Delivery, reply: CloudEvent): void {
    const ttl = d.ev.ttl - 1;
    this.stats.replies++;
    if (ttl <= 0) {
      this.stats.repliesDroppedTtl++;
      this.#complete(d);
      return;
    }
    reply.attrs[TTL_ATTRIBUTE] = String(ttl);
    // The original counts as delivered once its reply is stored; if the reply cannot be stored, deliver again.
    d.q.inFlight++;
    this.#inFlight++;
    this.accept(d.ev.broker, reply, (err) => {
      d.q.inFlight--;
      this.#inFlight--;
      if (err === undefined || err.kind === 'unknown-broker' || err.kind === 'ttl-exhausted' || d.q.cfg === undefined) {
        if (err?.kind === 'ttl-exhausted') this.stats.repliesDroppedTtl++;
        this.#complete(d);
      } else {
        this.#failed(d, d.q.cfg, 503, `reply not accepted: ${err.message}`, undefined);
      }
      this.#pump(d.q);
    });
  }

  #complete(d: Delivery): void {
    if (d.phase === 'dead-letter-sink') this.stats.sentToDeadLetterSink++;
    else this.stats.delivered++;
    this.#batch.done.push({ seq: d.ev.seq, trigger: d.q.key });
    this.#release(d.ev);
    this.#scheduleFlush();
  }

  #release(ev: MemEvent): void {
    ev.refs--;
    if (ev.refs > 0) return;
    this.stats.pendingEvents--;
    this.stats.pendingBytes -= ev.bytes;
    this.#live.delete(ev.seq);
    if (ev.deadRefs === 0) this.#batch.gc.push(ev.seq);
  }

  #failed(d: Delivery, cfg: TriggerConfig, status: number, error: string, retryAfterMs: number | undefined): void {
    d.attempts++;
    d.lastStatus = status === 0 ? 500 : status;
    d.lastError = error.length > ERROR_DATA_MAX_LENGTH ? error.slice(0, ERROR_DATA_MAX_LENGTH) : error;
    if (isRetryable(status) && d.attempts <= cfg.policy.retry) {
      this.stats.retried++;
      d.dueMs = this.#now() + backoffMs(cfg.policy, d.attempts, retryAfterMs);
      if (d.phase === 'subscriber') this.#batch.retries.push({ seq: d.ev.seq, trigger: d.q.key, attempts: d.attempts, notBeforeMs: d.dueMs });
      this.#retries.push(d);
      this.#retries.arm();
      this.#scheduleFlush();
      return;
    }
    if (d.phase === 'subscriber' && cfg.deadLetterSink !== undefined) {
      d.phase = 'dead-letter-sink';
      d.failedUrl = cfg.subscriber.url;
      d.attempts = 0;
      d.q.ready.push(d);
      return;
    }
    this.#dead(d);
  }

  #dead(d: Delivery): void {
    this.stats.deadLettered++;
    this.#batch.dead.push({ seq: d.ev.seq, trigger: d.q.key, attempts: d.attempts, code: d.lastStatus, error: d.lastError, deadMs: this.#now() });
    d.ev.deadRefs++;
    this.#release(d.ev);
    this.#scheduleFlush();
  }

  #onRetriesDue(due: readonly Delivery[]): void {
    const touched = new Set<TriggerQueue>();
    for (const d of due) {
      d.q.ready.push(d);
      touched.add(d.q);
    }
    for (const q of touched) this.#pump(q);
  }
}
