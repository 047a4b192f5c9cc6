// The in-process engine's records (engine.ts): an event held in memory while deliveries are owed, one delivery of
// it to one Trigger, a Trigger's queue of deliveries ready to go, and an accepted event waiting for its commit.

import { DEFAULT_TTL, TTL_ATTRIBUTE, type AcceptCallback, type TriggerConfig } from './broker-engine.js';
import type { CloudEvent } from './cloudevent.js';

/** Bytes counted per event on top of its data: the attribute strings and the bookkeeping objects. */
const EVENT_OVERHEAD_BYTES = 512;

export interface MemEvent {
  readonly seq: number;
  readonly broker: string;
  readonly event: CloudEvent;
  readonly ttl: number;
  readonly bytes: number;
  refs: number;
  deadRefs: number;
}

export interface Delivery {
  readonly ev: MemEvent;
  readonly q: TriggerQueue;
  attempts: number;
  phase: 'subscriber' | 'dead-letter-sink';
  lastStatus: number;
  lastError: string;
  /** The subscriber that failed (knativeerrordest). */
  failedUrl: string;
  dueMs: number;
}

export interface TriggerQueue {
  readonly key: string;
  cfg: TriggerConfig | undefined;
  ready: Delivery[];
  head: number;
  inFlight: number;
}

export interface PendingAccept {
  readonly ev: MemEvent;
  readonly deliveries: Delivery[];
  readonly cb: AcceptCallback;
}

/** An event held in memory while deliveries are owed; its TTL is read once, a bad one counts as the default. */
export function memEvent(seq: number, broker: string, event: CloudEvent): MemEvent {
  const ttl = Number(event.attrs[TTL_ATTRIBUTE] ?? DEFAULT_TTL);
  return { seq, broker, event, ttl: Number.isInteger(ttl) ? ttl : DEFAULT_TTL, bytes: EVENT_OVERHEAD_BYTES + (event.data?.length ?? 0), refs: 0, deadRefs: 0 };
}

export function triggerQueue(key: string): TriggerQueue {
  return { key, cfg: undefined, ready: [], head: 0, inFlight: 0 };
}

/** After a pump: drops the taken head of the ready list once it is all taken, or once it is over half the list. */
export function compactQueue(q: TriggerQueue): void {
  if (q.head === q.ready.length) {
    q.ready = [];
    q.head = 0;
  } else if (q.head > 1024 && q.head * 2 > q.ready.length) {
    q.ready = q.ready.slice(q.head);
    q.head = 0;
  }
}
