// What the broker keeps durable, independent of where: accepted events, the deliveries each still owes (with the
// retry state), and dead letters. The dispatcher collects its changes into one Batch per event-loop turn and
// commits it at once (group commit), so one fsync covers every event accepted in that turn.

import type { CloudEvent } from './cloudevent.js';

export interface StoredEvent {
  readonly seq: number;
  /** `namespace/broker`. */
  readonly broker: string;
  readonly event: CloudEvent;
  readonly acceptedMs: number;
}

export interface DeliveryState {
  readonly seq: number;
  /** `namespace/trigger`. */
  readonly trigger: string;
  /** Attempts made so far. */
  readonly attempts: number;
  /** Wall-clock ms before which the next attempt must not start. */
  readonly notBeforeMs: number;
}

export interface DeadLetter {
  readonly seq: number;
  readonly trigger: string;
  readonly attempts: number;
  /** Last status (0: no response). */
  readonly code: number;
  /** Last response body or error text, cut to 1,024 characters. */
  readonly error: string;
  readonly deadMs: number;
  readonly event: StoredEvent;
}

export interface Batch {
  readonly events: StoredEvent[];
  readonly deliveries: DeliveryState[];
  /** Deliveries that succeeded (or were dead-lettered to a sink): forgotten. */
  readonly done: { seq: number; trigger: string }[];
  readonly retries: DeliveryState[];
  readonly dead: Omit<DeadLetter, 'event'>[];
  /** Dead letters put back into delivery (`--redeliver`). */
  readonly revived: { seq: number; trigger: string }[];
  /** Events no delivery refers to any more. */
  readonly gc: number[];
}

export function emptyBatch(): Batch {
  return { events: [], deliveries: [], done: [], retries: [], dead: [], revived: [], gc: [] };
}

export function batchSize(b: Batch): number {
  return b.events.length + b.deliveries.length + b.done.length + b.retries.length + b.dead.length + b.revived.length + b.gc.length;
}

export interface Recovered {
  readonly events: StoredEvent[];
  readonly deliveries: DeliveryState[];
  /** Dead letters per event, for the events above (an event is deleted only when none refers to it). */
  readonly deadCounts: ReadonlyMap<number, number>;
  readonly nextSeq: number;
}

export interface EventStore {
  /** One line for the banner and the logs: what is stored where, with which durability. */
  readonly description: string;
  /** Pending (not dead) deliveries and the events they need; drops events nothing refers to. */
  recover(): Recovered;
  /** Durable when it returns; throws without applying anything if the write fails. */
  commit(b: Batch): void;
  deadLetters(trigger: string | undefined): DeadLetter[];
  event(seq: number): StoredEvent | undefined;
  close(): void;
}
