// The embedded store's power-loss sync and the engine's use of it: a producer hears "accepted" only once the WAL
// holding its event is fsynced, and deliveries start only then; the event loop is not blocked meanwhile.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@kdp/core';
import { retryPolicyOf } from './delivery.js';
import type { Refusal } from './broker-engine.js';
import { EventingEngine } from './engine.js';
import { attributesPredicate } from './filter.js';
import { Sender, resolveTarget } from './sender.js';
import { SqliteEventStore } from './sqlite-store.js';
import type { EventStore } from './store.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function dataDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'kdp-store-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

const event = (id: string): { attrs: Record<string, string>; data: Buffer } => ({
  attrs: { specversion: '1.0', id, type: 't', source: 's' },
  data: Buffer.from('{}'),
});

describe('SqliteEventStore.sync', () => {
  it('exists in full mode only, and calls back every caller, also those that came while a sync was under way', async () => {
    const dir = await dataDir();
    expect(new SqliteEventStore(path.join(dir, 'n'), 'normal').sync).toBeUndefined();
    const store = new SqliteEventStore(dir, 'full');
    cleanups.push(() => store.close());
    store.commit({ events: [{ seq: 1, broker: 'default/b', event: event('a'), acceptedMs: 1 }], deliveries: [{ seq: 1, trigger: 'default/t', attempts: 0, notBeforeMs: 0 }], done: [], retries: [], dead: [], revived: [], gc: [] });
    const sync = store.sync;
    if (sync === undefined) throw new Error('full mode has sync');
    const results = await Promise.all([0, 1, 2].map(() => new Promise<Error | undefined>((resolve) => sync(resolve))));
    expect(results).toEqual([undefined, undefined, undefined]);
    expect(store.recover().events.map((e) => e.event.attrs['id'])).toEqual(['a']);
  });
});

describe('engine with a syncing store', () => {
  it('answers the producer and starts the delivery only once the sync called back', async () => {
    const got: string[] = [];
    const server = http.createServer((req, res) => {
      got.push(String(req.headers['ce-id']));
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/`;

    const real = new SqliteEventStore(await dataDir(), 'full');
    const held: ((err: Error | undefined) => void)[] = [];
    // The real store, its sync held by the test: the commit happens, the fsync's answer waits.
    const store: EventStore = {
      description: real.description,
      recover: () => real.recover(),
      commit: (b) => real.commit(b),
      deadLetters: (t) => real.deadLetters(t),
      event: (seq) => real.event(seq),
      close: () => real.close(),
      sync: (cb) => held.push(cb),
    };
    const engine = new EventingEngine({ store, sender: new Sender(), logger });
    cleanups.push(() => engine.close(0));
    engine.start();
    engine.configure(['default/b'], [{
      key: 'default/t', namespace: 'default', broker: 'default/b', ready: true, predicate: attributesPredicate(undefined),
      subscriber: resolveTarget(url), deadLetterSink: undefined, policy: retryPolicyOf(undefined), inFlightLimit: () => 0,
    }]);

    const answers: (Refusal | undefined | 'none')[] = ['none', 'none'];
    engine.accept('default/b', event('e1'), (r) => (answers[0] = r));
    await new Promise((r) => setImmediate(r));
    // Committed (a crash of kdp keeps it), not yet synced: no answer, no delivery; the loop still takes events.
    expect(real.recover().events.map((e) => e.event.attrs['id'])).toEqual(['e1']);
    expect(held.length).toBe(1);
    engine.accept('default/b', event('e2'), (r) => (answers[1] = r));
    await new Promise((r) => setImmediate(r));
    expect(held.length).toBe(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(answers).toEqual(['none', 'none']);
    expect(got).toEqual([]);

    held[0]?.(undefined);
    expect(answers).toEqual([undefined, 'none']);
    await new Promise<void>((resolve) => {
      const poll = (): void => (got.length >= 1 ? resolve() : void setTimeout(poll, 5));
      poll();
    });
    expect(got).toEqual(['e1']);

    held[1]?.(new Error('EIO'));
    // Committed, so still delivered; the producer hears why it may want to send again.
    expect(answers[1]).toMatchObject({ kind: 'store-failed' });
    await new Promise<void>((resolve) => {
      const poll = (): void => (got.length >= 2 ? resolve() : void setTimeout(poll, 5));
      poll();
    });
    expect(got).toEqual(['e1', 'e2']);
  });
});
