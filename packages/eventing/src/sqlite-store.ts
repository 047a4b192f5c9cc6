// The embedded default store: one SQLite database (better-sqlite3 12.x, which builds and runs on Node 20) under the
// data directory, in WAL mode.
//
// Why SQLite rather than a log of our own: it gives atomic multi-row commits (an event and the deliveries it owes
// land together or not at all), crash recovery of a half-written commit, and cheap in-place updates of retry state
// and dead letters, all tested far beyond what a hand-written log here could be. Its cost, one synchronous commit
// per batch on the event loop, is paid once per event-loop turn (group commit), not once per event.
//
// Durability, by `synchronous` setting (https://sqlite.org/pragma.html#pragma_synchronous, WAL mode):
//   FULL (default): the WAL is fsynced at every commit, so an event answered 202 survives a process crash and a
//                   power loss / kernel crash.
//   NORMAL:         no fsync per commit; an event answered 202 survives a crash of kdp (the WAL is in the page
//                   cache, the kernel writes it), but the last commits before a power loss may be lost.
// In FULL mode only a batch that accepts events is fsynced: a batch of completions, retry times and dead letters
// alone is committed with NORMAL (losing it to a power loss means a delivery is made again, which at-least-once
// allows), and the next fsynced commit makes it durable too, since the WAL is written in order. This halves the
// fsyncs per event (one at acceptance, none at completion).

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Batch, DeadLetter, DeliveryState, EventStore, Recovered, StoredEvent } from './store.js';

export type SyncMode = 'full' | 'normal';

export const EVENTS_DB_FILE = 'eventing.db';

interface EventRow {
  seq: number;
  broker: string;
  attrs: string;
  data: Buffer | null;
  accepted_ms: number;
}

interface DeliveryRow {
  seq: number;
  trigger: string;
  attempts: number;
  not_before_ms: number;
}

interface DeadRow extends DeliveryRow, EventRow {
  code: number;
  error: string;
  dead_ms: number;
}

export class SqliteEventStore implements EventStore {
  readonly description: string;
  readonly #db: Database.Database;
  readonly #insertEvent: Database.Statement<[number, string, string, Buffer | null, number]>;
  readonly #insertDelivery: Database.Statement<[string, number, number, number]>;
  readonly #deleteDelivery: Database.Statement<[string, number]>;
  readonly #updateRetry: Database.Statement<[number, number, string, number]>;
  readonly #markDead: Database.Statement<[number, number, string, number, string, number]>;
  readonly #revive: Database.Statement<[string, number]>;
  readonly #deleteEvent: Database.Statement<[number]>;
  readonly #commit: (b: Batch) => void;
  readonly #full: boolean;
  #syncNow: 'FULL' | 'NORMAL';

  constructor(dataDir: string, sync: SyncMode = 'full') {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(dataDir, EVENTS_DB_FILE);
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#full = sync === 'full';
    this.#syncNow = this.#full ? 'FULL' : 'NORMAL';
    this.#db.pragma(`synchronous = ${this.#syncNow}`);
    this.description = `${file} (SQLite WAL, synchronous=${sync === 'full' ? 'FULL: survives a power loss' : 'NORMAL: survives a process crash'})`;
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY,
        broker TEXT NOT NULL,
        attrs TEXT NOT NULL,
        data BLOB,
        accepted_ms INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS deliveries (
        trigger TEXT NOT NULL,
        seq INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        not_before_ms INTEGER NOT NULL,
        dead INTEGER NOT NULL DEFAULT 0,
        code INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        dead_ms INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (trigger, seq)
      ) WITHOUT ROWID;
    `);
    this.#insertEvent = this.#db.prepare('INSERT INTO events (seq, broker, attrs, data, accepted_ms) VALUES (?, ?, ?, ?, ?)');
    this.#insertDelivery = this.#db.prepare('INSERT OR REPLACE INTO deliveries (trigger, seq, attempts, not_before_ms) VALUES (?, ?, ?, ?)');
    this.#deleteDelivery = this.#db.prepare('DELETE FROM deliveries WHERE trigger = ? AND seq = ?');
    this.#updateRetry = this.#db.prepare('UPDATE deliveries SET attempts = ?, not_before_ms = ? WHERE trigger = ? AND seq = ?');
    this.#markDead = this.#db.prepare('UPDATE deliveries SET dead = 1, attempts = ?, code = ?, error = ?, dead_ms = ? WHERE trigger = ? AND seq = ?');
    this.#revive = this.#db.prepare('UPDATE deliveries SET dead = 0, attempts = 0, not_before_ms = 0 WHERE trigger = ? AND seq = ?');
    this.#deleteEvent = this.#db.prepare('DELETE FROM events WHERE seq = ?');
    this.#commit = this.#db.transaction((b: Batch) => {
      for (const e of b.events) this.#insertEvent.run(e.seq, e.broker, JSON.stringify(e.event.attrs), e.event.data ?? null, e.acceptedMs);
      for (const d of b.deliveries) this.#insertDelivery.run(d.trigger, d.seq, d.attempts, d.notBeforeMs);
      for (const d of b.retries) this.#updateRetry.run(d.attempts, d.notBeforeMs, d.trigger, d.seq);
      for (const d of b.dead) this.#markDead.run(d.attempts, d.code, d.error, d.deadMs, d.trigger, d.seq);
      for (const d of b.revived) this.#revive.run(d.trigger, d.seq);
      for (const d of b.done) this.#deleteDelivery.run(d.trigger, d.seq);
      for (const seq of b.gc) this.#deleteEvent.run(seq);
    });
  }

  recover(): Recovered {
    // Events that no delivery refers to (all done before the crash, the GC not yet committed).
    this.#db.exec('DELETE FROM events WHERE seq NOT IN (SELECT seq FROM deliveries)');
    const deliveries = (this.#db.prepare('SELECT trigger, seq, attempts, not_before_ms FROM deliveries WHERE dead = 0 ORDER BY seq').all() as DeliveryRow[]).map(
      (r): DeliveryState => ({ seq: r.seq, trigger: r.trigger, attempts: r.attempts, notBeforeMs: r.not_before_ms }),
    );
    const events = (
      this.#db.prepare('SELECT seq, broker, attrs, data, accepted_ms FROM events WHERE seq IN (SELECT seq FROM deliveries WHERE dead = 0) ORDER BY seq').all() as EventRow[]
    ).map(toStored);
    const deadCounts = new Map<number, number>();
    const counts = this.#db
      .prepare('SELECT seq, COUNT(*) AS n FROM deliveries WHERE dead = 1 AND seq IN (SELECT seq FROM deliveries WHERE dead = 0) GROUP BY seq')
      .all() as { seq: number; n: number }[];
    for (const c of counts) deadCounts.set(c.seq, c.n);
    const max = this.#db.prepare('SELECT MAX(seq) AS m FROM events').get() as { m: number | null };
    return { events, deliveries, deadCounts, nextSeq: (max.m ?? 0) + 1 };
  }

  commit(b: Batch): void {
    if (this.#full) {
      const want = b.events.length > 0 ? 'FULL' : 'NORMAL';
      if (want !== this.#syncNow) {
        this.#db.pragma(`synchronous = ${want}`);
        this.#syncNow = want;
      }
    }
    this.#commit(b);
  }

  deadLetters(trigger: string | undefined): DeadLetter[] {
    const sql =
      'SELECT d.trigger, d.seq, d.attempts, d.not_before_ms, d.code, d.error, d.dead_ms, e.broker, e.attrs, e.data, e.accepted_ms ' +
      'FROM deliveries d JOIN events e ON e.seq = d.seq WHERE d.dead = 1' +
      (trigger === undefined ? '' : ' AND d.trigger = ?') +
      ' ORDER BY d.seq';
    const rows = (trigger === undefined ? this.#db.prepare(sql).all() : this.#db.prepare(sql).all(trigger)) as DeadRow[];
    return rows.map((r) => ({ seq: r.seq, trigger: r.trigger, attempts: r.attempts, code: r.code, error: r.error, deadMs: r.dead_ms, event: toStored(r) }));
  }

  event(seq: number): StoredEvent | undefined {
    const r = this.#db.prepare('SELECT seq, broker, attrs, data, accepted_ms FROM events WHERE seq = ?').get(seq) as EventRow | undefined;
    return r === undefined ? undefined : toStored(r);
  }

  close(): void {
    this.#db.close();
  }
}

function toStored(r: EventRow): StoredEvent {
  return {
    seq: r.seq,
    broker: r.broker,
    event: { attrs: JSON.parse(r.attrs) as Record<string, string>, data: r.data ?? undefined },
    acceptedMs: r.accepted_ms,
  };
}
