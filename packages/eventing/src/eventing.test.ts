// The data plane on real sockets: the ingress server, the engine with the SQLite store in a temp directory, and
// subscribers that are real HTTP servers on 127.0.0.1 port 0.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@kdp/core';
import { retryPolicyOf, type DeliverySpec } from './delivery.js';
import type { TriggerConfig } from './broker-engine.js';
import { startEventing, type Eventing } from './eventing.js';
import { attributesPredicate } from './filter.js';
import { resolveTarget } from './sender.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A subscriber: records every request, answers with `respond(req, n)` (n counts from 1). */
async function sink(respond: (r: Received, n: number, res: http.ServerResponse) => void = (_r, _n, res) => res.writeHead(200).end()): Promise<{ url: string; got: Received[]; waitFor(n: number, ms?: number): Promise<void> }> {
  const got: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const r = { headers: req.headers, body, at: performance.now() };
      got.push(r);
      respond(r, got.length, res);
      for (const w of waiters.filter((x) => got.length >= x.n)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${String(port)}/`,
    got,
    waitFor: (n, ms = 10_000) =>
      got.length >= n
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`sink got ${String(got.length)} of ${String(n)} requests`)), ms);
            waiters.push({ n, resolve: () => { clearTimeout(t); resolve(); } });
          }),
  };
}

async function dataDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'kdp-eventing-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function start(dir?: string): Promise<Eventing> {
  const ev = await startEventing({ dataDir: dir ?? (await dataDir()), logger });
  let closed = false;
  cleanups.push(async () => { if (!closed) await ev.close(0); });
  const close = ev.close.bind(ev);
  return { ...ev, close: async (g) => { closed = true; await close(g); } };
}

function trigger(name: string, url: string, o: { filter?: Record<string, string>; delivery?: DeliverySpec; dls?: string; limit?: number } = {}): TriggerConfig {
  return {
    key: `default/${name}`,
    namespace: 'default',
    broker: 'default/b',
    ready: true,
    predicate: attributesPredicate(o.filter),
    subscriber: resolveTarget(url),
    deadLetterSink: o.dls === undefined ? undefined : resolveTarget(o.dls),
    policy: retryPolicyOf(o.delivery),
    inFlightLimit: () => o.limit ?? 0,
  };
}

function post(port: number, p: string, headers: Record<string, string>, body = '', method = 'POST'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, headers, agent: false }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ce = (id: string, type = 'greeting', extra: Record<string, string> = {}): Record<string, string> => ({
  'ce-specversion': '1.0',
  'ce-id': id,
  'ce-source': 'test',
  'ce-type': type,
  'content-type': 'application/json',
  ...extra,
});

describe('broker ingress', () => {
  it('answers every status code Knative does', async () => {
    const s = await sink();
    const ev = await start();
    ev.configure({ brokers: ['default/b'], triggers: [trigger('t', s.url)], pings: [] });
    const port = ev.ingress.port;

    const opt = await post(port, '/default/b', {}, '', 'OPTIONS');
    expect(opt.status).toBe(200);
    expect(opt.headers).toMatchObject({ allow: 'POST, OPTIONS', 'webhook-allowed-origin': '*', 'webhook-allowed-rate': '*' });
    expect((await post(port, '/default/b', {}, '', 'GET')).status).toBe(405);
    expect((await post(port, '/default/b', {}, '', 'PUT')).status).toBe(405);
    expect((await post(port, '/', ce('x'))).status).toBe(404);
    expect((await post(port, '/default/b/extra', ce('x'))).status).toBe(400);
    expect((await post(port, '/default/nope', ce('x'))).status).toBe(404);
    const missing = await post(port, '/default/b', { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-type': 't' });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('source: missing required attribute');
    const badTime = await post(port, '/default/b', ce('x', 'greeting', { 'ce-time': 'noon' }));
    expect(badTime.status).toBe(400);
    expect(badTime.body).toContain('time');
    expect((await post(port, '/default/b', { 'content-type': 'application/cloudevents-batch+json' }, '[]')).status).toBe(400);
    expect((await post(port, '/default/b', ce('x', 'greeting', { 'ce-knativebrokerttl': '0' }))).status).toBe(400);

    expect((await post(port, '/default/b/', ce('bin-1'), '{"msg":"hi"}')).status).toBe(202);
    const structured = JSON.stringify({ specversion: '1.0', id: 'st-1', source: 'test', type: 'greeting', data: { msg: 'hi' } });
    expect((await post(port, '/default/b', { 'content-type': 'application/cloudevents+json' }, structured)).status).toBe(202);
    const v03 = JSON.stringify({ specversion: '0.3', id: 'st-03', source: 'test', type: 'greeting', datacontentencoding: 'base64', data: 'aGk=' });
    expect((await post(port, '/default/b', { 'content-type': 'application/cloudevents+json; charset=utf-8' }, v03)).status).toBe(202);
    expect((await post(port, '/default/b', ce('bin-03', 'greeting', { 'ce-specversion': '0.3' }), '{}')).status).toBe(202);

    await s.waitFor(4);
    const byId = new Map(s.got.map((r) => [r.headers['ce-id'], r]));
    const bin = byId.get('bin-1');
    expect(bin?.body).toBe('{"msg":"hi"}');
    expect(bin?.headers).toMatchObject({ 'ce-type': 'greeting', 'ce-source': 'test', prefer: 'reply', 'kn-namespace': 'default', 'content-type': 'application/json' });
    expect(bin?.headers['ce-knativearrivaltime']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(bin?.headers['ce-knativebrokerttl']).toBeUndefined();
    expect(byId.get('st-1')?.body).toBe('{"msg":"hi"}');
    expect(byId.get('st-03')?.body).toBe('hi');
    expect(byId.get('st-03')?.headers['ce-specversion']).toBe('0.3');
  });

  it('answers 503 with Retry-After when too much waits for delivery, and 202 again once it drains', async () => {
    let release: (() => void) | undefined;
    const held = new Promise<void>((r) => (release = r));
    const s = await sink((_r, _n, res) => void held.then(() => res.writeHead(200).end()));
    const dir = await dataDir();
    const ev = await startEventing({ dataDir: dir, logger, maxPendingBytes: 4 * 1024 });
    cleanups.push(() => ev.close(0));
    ev.configure({ brokers: ['default/b'], triggers: [trigger('t', s.url)], pings: [] });
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await post(ev.ingress.port, '/default/b', ce(`o-${String(i)}`), '{}')).status);
    expect(codes.slice(0, 8)).toEqual(Array(8).fill(202));
    expect(codes.slice(8)).toEqual([503, 503, 503, 503]);
    const r = await post(ev.ingress.port, '/default/b', ce('o-x'), '{}');
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.body).toContain('wait for delivery');
    release?.();
    await s.waitFor(8);
    await expect.poll(async () => (await post(ev.ingress.port, '/default/b', ce('o-y'), '{}')).status, { timeout: 5000 }).toBe(202);
  });
});

describe('delivery', () => {
  it('filters by attributes', async () => {
    const s = await sink();
    const ev = await start();
    ev.configure({ brokers: ['default/b'], triggers: [trigger('t', s.url, { filter: { type: 'greeting' } })], pings: [] });
    expect((await post(ev.ingress.port, '/default/b', ce('other', 'farewell'), '{}')).status).toBe(202);
    expect((await post(ev.ingress.port, '/default/b', ce('hello', 'greeting'), '{}')).status).toBe(202);
    await s.waitFor(1);
    expect(s.got.map((r) => r.headers['ce-id'])).toEqual(['hello']);
  });

  it('retries with exponential backoff, then sends to the dead-letter sink with the knativeerror attributes', async () => {
    const failing = await sink((_r, _n, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('busy'));
    const dls = await sink();
    const ev = await start();
    ev.configure({ brokers: ['default/b'], triggers: [trigger('t', failing.url, { delivery: { retry: 3, backoffPolicy: 'exponential', backoffDelay: 'PT0.1S' }, dls: dls.url })], pings: [] });
    expect((await post(ev.ingress.port, '/default/b', ce('r-1'), '{"a":1}')).status).toBe(202);
    await dls.waitFor(1);
    expect(failing.got).toHaveLength(4);
    const gaps = failing.got.slice(1).map((r, i) => r.at - (failing.got[i]?.at ?? 0));
    // 100, 200, 400 ms, with a margin for a loaded machine.
    [100, 200, 400].forEach((want, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(want - 5);
      expect(gaps[i]).toBeLessThan(want + 400);
    });
    const d = dls.got[0];
    expect(d?.headers).toMatchObject({ 'ce-id': 'r-1', 'ce-knativeerrordest': failing.url, 'ce-knativeerrorcode': '503', 'ce-knativeerrordata': Buffer.from('busy').toString('base64') });
    expect(d?.body).toBe('{"a":1}');
    expect(await ev.engine.deadLetters(undefined)).toEqual([]);
  });

  it('does not retry a 400; without a dead-letter sink keeps the event, lists it and redelivers it', async () => {
    let fail = true;
    const s = await sink((_r, _n, res) => res.writeHead(fail ? 400 : 200).end(fail ? 'bad' : ''));
    const ev = await start();
    ev.configure({ brokers: ['default/b'], triggers: [trigger('t', s.url)], pings: [] });
    expect((await post(ev.ingress.port, '/default/b', ce('d-1'), '{}')).status).toBe(202);
    await s.waitFor(1);
    await expect.poll(async () => (await ev.engine.deadLetters('default/t')).length).toBe(1);
    const dl = (await ev.engine.deadLetters('default/t'))[0];
    expect(dl).toMatchObject({ trigger: 'default/t', attempts: 1, code: 400, error: 'bad' });
    expect(dl?.event.event.attrs['id']).toBe('d-1');
    expect(s.got).toHaveLength(1);
    fail = false;
    expect(await ev.engine.redeliver('default/t')).toBe(1);
    await s.waitFor(2);
    await expect.poll(async () => (await ev.engine.deadLetters(undefined)).length).toBe(0);
  });

  it('re-ingests a reply with TTL − 1 and drops it when the TTL is spent', async () => {
    // Every delivery answers with a new event of the same type: a loop only the TTL ends.
    const s = await sink((r, n, res) => res.writeHead(200, { 'ce-specversion': '1.0', 'ce-id': `reply-${String(n)}`, 'ce-source': 'loop', 'ce-type': 'greeting', 'content-type': 'text/plain' }).end(`re:${r.body}`));
    const ev = await start();
    ev.configure({ brokers: ['default/b'], triggers: [trigger('t', s.url)], pings: [] });
    expect((await post(ev.ingress.port, '/default/b', ce('orig', 'greeting', { 'ce-knativebrokerttl': '3' }), 'x')).status).toBe(202);
    await s.waitFor(3);
    await expect.poll(() => ev.engine.stats.repliesDroppedTtl).toBe(1);
    expect(s.got.map((r) => r.headers['ce-id'])).toEqual(['orig', 'reply-1', 'reply-2']);
    expect(s.got[2]?.body).toBe('re:re:x');
    expect(ev.engine.stats.delivered).toBe(3);
  });

  it('treats a malformed reply event as a failure (502) and a plain-text 200 as success', async () => {
    const bad = await sink((_r, _n, res) => res.writeHead(200, { 'ce-specversion': '1.0', 'ce-id': 'x' }).end('oops'));
    const plain = await sink((_r, _n, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    const ev = await start();
    ev.configure({ brokers: ['default/b'], triggers: [trigger('bad', bad.url, { delivery: { retry: 0 } }), trigger('plain', plain.url)], pings: [] });
    expect((await post(ev.ingress.port, '/default/b', ce('m-1'), '{}')).status).toBe(202);
    await expect.poll(async () => (await ev.engine.deadLetters('default/bad')).map((d) => d.code)).toEqual([502]);
    await plain.waitFor(1);
    expect(await ev.engine.deadLetters('default/plain')).toEqual([]);
  });

  it('keeps at most the in-flight limit of deliveries open towards a subscriber', async () => {
    let open = 0;
    let maxOpen = 0;
    const s = await sink((_r, _n, res) => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      setTimeout(() => { open--; res.writeHead(200).end(); }, 20);
    });
    const ev = await start();
    ev.configure({ brokers: ['default/b'], triggers: [trigger('t', s.url, { limit: 3 })], pings: [] });
    await Promise.all(Array.from({ length: 30 }, (_, i) => post(ev.ingress.port, '/default/b', ce(`f-${String(i)}`), '{}')));
    await s.waitFor(30);
    expect(maxOpen).toBe(3);
  });

  it('resumes delivery after a restart from the store', async () => {
    const dir = await dataDir();
    const down = await sink((_r, _n, res) => res.writeHead(500).end());
    const ev1 = await start(dir);
    ev1.configure({ brokers: ['default/b'], triggers: [trigger('t', down.url, { delivery: { retry: 100, backoffPolicy: 'linear', backoffDelay: 'PT1S' } })], pings: [] });
    for (let i = 0; i < 5; i++) expect((await post(ev1.ingress.port, '/default/b', ce(`p-${String(i)}`), '{}')).status).toBe(202);
    await down.waitFor(5);
    await ev1.close(0);
    const up = await sink();
    const ev2 = await start(dir);
    expect(ev2.resumed).toBe(5);
    ev2.configure({ brokers: ['default/b'], triggers: [trigger('t', up.url)], pings: [] });
    await up.waitFor(5);
    expect(up.got.map((r) => r.headers['ce-id']).sort()).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-4']);
  });
});
