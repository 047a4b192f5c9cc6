// What every broker engine offers the ingress, the sources and the control API, whatever keeps the events: the
// in-process engine with its EventStore (engine.ts, SQLite or memory) and the NATS JetStream one (nats-engine.ts).
// Also the broker's own CloudEvent extensions, the refusals `accept` answers with, and the counters both keep.

import { KdpBaseError } from '@kdp/core';
import type { CloudEvent } from './cloudevent.js';
import type { RetryPolicy } from './delivery.js';
import type { EventPredicate } from './filter.js';
import type { Target } from './sender.js';
import type { DeadLetter } from './store.js';

/** Extension names the broker owns (knative/eventing pkg/broker/ttl.go, ingress_handler.go). */
export const TTL_ATTRIBUTE = 'knativebrokerttl';
export const ARRIVAL_ATTRIBUTE = 'knativearrivaltime';
/** `MAX_TTL` of cmd/broker/ingress/main.go. */
export const DEFAULT_TTL = 255;
/** knative/eventing pkg/kncloudevents/attributes/knative_error.go: the base64 of the body, cut to this length. */
export const ERROR_DATA_MAX_LENGTH = 1024;

export interface TriggerConfig {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  /** `namespace/name` of its Broker. */
  readonly broker: string;
  /** Ready Triggers get new events; a Trigger that is not (missing broker or sink) keeps what it already owes. */
  readonly ready: boolean;
  readonly predicate: EventPredicate;
  readonly subscriber: Target;
  readonly deadLetterSink: Target | undefined;
  readonly policy: RetryPolicy;
  /** Deliveries in flight at most; 0: no limit. Read before each dispatch (it may follow the sink's pods). */
  readonly inFlightLimit: () => number;
}

/** Why `accept` refused an event; the ingress maps each to a status. */
export type RefusalKind = 'unknown-broker' | 'ttl-exhausted' | 'overloaded' | 'store-failed' | 'shutting-down';
export class Refusal extends KdpBaseError {
  readonly code = 'KDP_ERR_EVENT_REFUSED';
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

export type AcceptCallback = (err: Refusal | undefined) => void;

/** What the ingress, the sources and the control API need of a broker, whatever keeps the events. */
export interface BrokerEngine {
  readonly stats: EngineStats;
  hasBroker(key: string): boolean;
  accept(broker: string, event: CloudEvent, cb: AcceptCallback): void;
  configure(brokers: readonly string[], triggers: readonly TriggerConfig[]): void;
  deadLetters(trigger: string | undefined): DeadLetter[] | Promise<DeadLetter[]>;
  redeliver(trigger: string | undefined, seqs?: ReadonlySet<number>): number | Promise<number>;
  close(graceMs: number): Promise<void>;
}

export interface EngineStats {
  accepted: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  sentToDeadLetterSink: number;
  replies: number;
  repliesDroppedTtl: number;
  /** Deliveries found pending in the store at start: each may repeat one made before the restart. */
  resumedAtStart: number;
  pendingEvents: number;
  pendingBytes: number;
  commits: number;
}

/** Counters at zero: every engine starts from these. */
export function emptyEngineStats(): EngineStats {
  return {
    accepted: 0, delivered: 0, retried: 0, deadLettered: 0, sentToDeadLetterSink: 0, replies: 0, repliesDroppedTtl: 0,
    resumedAtStart: 0, pendingEvents: 0, pendingBytes: 0, commits: 0,
  };
}
