// The embedded default store: one SQLite database (better-sqlite3 12.x, which builds and runs on Node 20) under the
// data directory, in WAL mode.
//
// Why SQLite rather than a log of our own: it gives atomic multi-row commits (an event and the deliveries it owes
// land together or not at all), crash recovery of a half-written commit, and cheap in-place updates of retry state
// and dead letters, all tested far beyond what a hand-written log here could be. Its cost, one synchronous commit
// per batch on the event loop, is paid once per event-loop turn (group commit), not once per event.
//
// Durability, by mode (https://sqlite.org/pragma.html#pragma_synchronous, WAL mode):
//   full (default): an event is answered 202 only once the WAL holding it is fsynced, so it survives a process
//                   crash and a power loss / kernel crash. SQLite runs with synchronous=NORMAL (it syncs the WAL
//                   and the database file at checkpoints, so a checkpoint never loses a commit), and kdp fsyncs
//                   (fdatasync) the WAL itself after each commit that accepts events, on libuv's thread pool: the
//                   event loop keeps accepting and committing the next batch while the disk syncs the last one
//                   (with SQLite's synchronous=FULL the fsync blocked the event loop inside COMMIT). fsync works
//                   on the file, not the descriptor, so kdp's own read-only descriptor of the -wal file flushes
//                   what SQLite wrote through its own. Commits of completions, retry times and dead letters alone
//                   are not synced (losing one to a power loss means a delivery is made again, which at-least-once
//                   allows); the next sync covers them too.
//   normal:         no fsync per commit; an event answered 202 survives a crash of kdp (the WAL is in the page
//                   cache, the kernel writes it), but the last commits before a power loss may be lost.

import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs';
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
  readonly #walFile: string;
  /** kdp's own descriptor of the -wal file, for fdatasync; opened at the first sync. */
  #walFd = -1;
  /** Callbacks of the fdatasync under way, and of the next one (commits made after this one started). */
  #syncing: ((err: Error | undefined) => void)[] | undefined;
  #nextSync: ((err: Error | undefined) => void)[] = [];
  #closed = false;
  readonly sync: ((cb: (err: Error | undefined) => void) => void) | undefined;

  constructor(dataDir: string, sync: SyncMode = 'full') {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(dataDir, EVENTS_DB_FILE);
    this.#walFile = `${file}-wal`;
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.sync = sync === 'full' ? (cb) => this.#sync(cb) : undefined;
    this.description = `${file} (SQLite WAL, ${sync === 'full' ? 'full: WAL fsynced before each 202, survives a power loss' : 'normal: survives a process crash'})`;
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
    this.#commit(b);
  }

  #sync(cb: (err: Error | undefined) => void): void {
    if (this.#syncing !== undefined) {
      // The fdatasync under way may have started before this commit's writes: wait for the next one.
      this.#nextSync.push(cb);
      return;
    }
    this.#syncing = [cb];
    this.#startSync();
  }

  #startSync(): void {
    if (this.#walFd < 0) {
      if (this.#closed) {
        this.#syncDone(new Error('the event store is closed'));
        return;
      }
      try {
        this.#walFd = openSync(this.#walFile, 'r');
      } catch (err) {
        this.#syncDone(err as Error);
        return;
      }
    }
    fdatasync(this.#walFd, (err) => this.#syncDone(err ?? undefined));
  }

  #closeWal(): void {
    if (this.#walFd >= 0) closeSync(this.#walFd);
    this.#walFd = -1;
  }

  #syncDone(err: Error | undefined): void {
    const done = this.#syncing ?? [];
    if (this.#nextSync.length > 0) {
      this.#syncing = this.#nextSync;
      this.#nextSync = [];
      this.#startSync();
    } else {
      this.#syncing = undefined;
      if (this.#closed) this.#closeWal();
    }
    for (const cb of done) cb(err);
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
    this.#closed = true;
    // An fdatasync under way still uses the descriptor: it is closed when that one ends.
    if (this.#syncing === undefined) this.#closeWal();
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
