/**
 * Issue 7 regressions around the upstream connection, through kdp's engine (fast path + fallback, as every kdp
 * proxy wires it) in front of small raw-socket apps that misbehave on purpose:
 *  - replays: a request is sent again on a new connection only if it is idempotent and no byte of its response
 *    arrived (Go's Transport rule); a bodiless POST or a CONNECT that the app read and then dropped is answered
 *    502, never executed twice;
 *  - slow failure: an upstream that answers with something that is not HTTP is a 502 at once, not a 504 later;
 *  - ordering: requests the fallback engine takes must not reach the app ahead of the one before them on the same
 *    client connection.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseResponses } from './diff-wire.test-util.js';
import { RecordingApp, sendSegments, startKdp } from './diff-harness.test-util.js';
import type { KdpFixture } from './diff-harness.test-util.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Seen {
  readonly conn: number;
  /** Index of the request on its connection (0 = first). */
  readonly index: number;
  readonly method: string;
  readonly target: string;
}

type Action = 'answer' | 'close' | 'partial-head' | 'partial-body' | 'banner';

/**
 * A raw-socket HTTP/1.1 app: heads only (bodies must be empty), each request handled per `decide`. `answer` is a
 * keep-alive 200; `close` reads the request and closes without a byte; `partial-head`/`partial-body` send part of
 * a response and close; `banner` writes a non-HTTP line and keeps the connection open.
 */
async function rawApp(decide: (s: Seen) => Action, bannerOnConnect = false): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  let conns = 0;
  const server = net.createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    const conn = conns++;
    let index = 0;
    let acc = '';
    if (bannerOnConnect) c.write('SSH-2.0-OpenSSH_9.6\r\n');
    c.setEncoding('latin1');
    c.on('data', (d: string) => {
      acc += d;
      let end: number;
      while ((end = acc.indexOf('\r\n\r\n')) !== -1) {
        const head = acc.slice(0, end);
        acc = acc.slice(end + 4);
        const [method = '', target = ''] = (head.split('\r\n')[0] ?? '').split(' ');
        const s: Seen = { conn, index: index++, method, target };
        seen.push(s);
        switch (decide(s)) {
          case 'answer':
            c.write(`HTTP/1.1 200 OK\r\nContent-Length: ${String(target.length)}\r\n\r\n${target}`);
            break;
          case 'close':
            c.destroy();
            return;
          case 'partial-head':
            c.end('HTTP/1.1 200 OK\r\nContent-Le');
            return;
          case 'partial-body':
            c.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
            return;
          case 'banner':
            c.write('SSH-2.0-OpenSSH_9.6\r\n');
            return;
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as net.AddressInfo).port, seen };
}

async function kdp(upstreamPort: number, totalMs = 0): Promise<KdpFixture> {
  const k = await startKdp(upstreamPort, (ex) => {
    if (totalMs > 0) ex.setTimeouts({ totalMs, responseStartMs: 0, idleMs: 0, message: 'request timeout' });
  });
  cleanups.push(() => k.close());
  return k;
}

/** One client connection; sends each request after the previous response arrived; returns the statuses. */
async function sequential(port: number, requests: string[], boundMs = 5000): Promise<number[]> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.once('connect', r));
  let bytes = Buffer.alloc(0);
  let closed = false;
  let wake = (): void => undefined;
  s.on('data', (d: Buffer) => {
    bytes = Buffer.concat([bytes, d]);
    wake();
  });
  s.on('close', () => {
    closed = true;
    wake();
  });
  const count = (): number => parseResponses(bytes).responses.filter((r) => r.status >= 200).length;
  for (let i = 0; i < requests.length && !closed; i++) {
    s.write(requests[i] ?? '');
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, boundMs);
      wake = () => {
        if (closed || count() > i) {
          clearTimeout(t);
          resolve();
        }
      };
      wake();
    });
  }
  s.destroy();
  return parseResponses(bytes).responses.filter((r) => r.status >= 200).map((r) => r.status);
}

const WARM = 'GET /warm HTTP/1.1\r\nHost: h\r\n\r\n';

describe('no replay of non-idempotent requests (issue 7)', () => {
  it.each([
    ['bodiless POST (Content-Length: 0)', 'POST /once HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n', 'POST'],
    ['bodiless POST (no length)', 'POST /once HTTP/1.1\r\nHost: h\r\n\r\n', 'POST'],
    ['bodiless PATCH', 'PATCH /once HTTP/1.1\r\nHost: h\r\n\r\n', 'PATCH'],
    ['CONNECT', 'CONNECT once:443 HTTP/1.1\r\nHost: once:443\r\n\r\n', 'CONNECT'],
  ])('%s read by the app on a reused connection that then closes is never run twice: 502, or refused outright', async (_name, request, method) => {
    // The warm-up request leaves a keep-alive upstream connection in kdp's pool; the app drops that connection
    // right after reading the second request on it. Any further connection is answered normally.
    const app = await rawApp((s) => (s.method === method && s.index > 0 ? 'close' : 'answer'));
    const k = await kdp(app.port);
    const statuses = await sequential(k.port, [WARM, request]);
    const ran = app.seen.filter((s) => s.method === method).length;
    // Forwarded once and answered 502, or (CONNECT) refused by kdp before it reached the app.
    expect({ statuses, ran }).toEqual(ran === 0 ? { statuses: [200, statuses[1]], ran: 0 } : { statuses: [200, 502], ran: 1 });
    if (ran === 0) expect([400, 405, 501]).toContain(statuses[1]);
  });

  it('a bodiless POST on a fresh connection that the app drops is not retried either', async () => {
    const app = await rawApp((s) => (s.method === 'POST' && s.conn === 0 ? 'close' : 'answer'));
    const k = await kdp(app.port);
    expect(await sequential(k.port, ['POST /once HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n'])).toEqual([502]);
    expect(app.seen.filter((s) => s.method === 'POST')).toHaveLength(1);
  });
});

describe('idempotent retry on a stale pooled socket (issue 7)', () => {
  it('a GET whose reused connection closes before any response byte is retried once on a fresh one', async () => {
    const app = await rawApp((s) => (s.target === '/again' && s.index > 0 ? 'close' : 'answer'));
    const k = await kdp(app.port);
    expect(await sequential(k.port, [WARM, 'GET /again HTTP/1.1\r\nHost: h\r\n\r\n'])).toEqual([200, 200]);
    expect(app.seen.filter((s) => s.target === '/again').map((s) => s.index)).toEqual([1, 0]);
  });

  it.each([
    ['part of the status line and headers', 'partial-head'],
    ['the head and part of the body', 'partial-body'],
  ] as const)('a GET is not retried once %s arrived', async (_name, action) => {
    const app = await rawApp((s) => (s.target === '/partial' && s.index > 0 ? action : 'answer'));
    const k = await kdp(app.port);
    const statuses = await sequential(k.port, [WARM, 'GET /partial HTTP/1.1\r\nHost: h\r\n\r\n']);
    // With only part of a head, kdp answers 502; with a head sent, the client sees it and then an abort.
    expect(statuses[0]).toBe(200);
    if (action === 'partial-head') expect(statuses[1]).toBe(502);
    expect(app.seen.filter((s) => s.target === '/partial')).toHaveLength(1);
  });
});

describe('slow failure: a non-HTTP upstream is a 502 at once, not a 504 at the timeout (issue 7)', () => {
  it.each([
    ['after the request, fast path', false, 'GET /ssh HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['on connect, fast path', true, 'GET /ssh HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['after the request, fallback (HTTP/1.0)', false, 'GET /ssh HTTP/1.0\r\nHost: h\r\n\r\n'],
    ['on connect, fallback (HTTP/1.0)', true, 'GET /ssh HTTP/1.0\r\nHost: h\r\n\r\n'],
  ])('banner %s', async (_name, onConnect, request) => {
    const app = await rawApp(() => 'banner', onConnect);
    // A revision timeout of 10 s: the answer must come long before it.
    const k = await kdp(app.port, 10_000);
    const started = performance.now();
    const r = await sendSegments(k.port, [Buffer.from(request, 'latin1')], (b) => parseResponses(b).responses.length >= 1, 12_000);
    const took = performance.now() - started;
    const res = parseResponses(r.bytes).responses[0];
    expect({ status: res?.status, fast: took < 2000 }).toEqual({ status: 502, fast: true });
    expect(k.accepted.map((a) => a.outcome)).toEqual(['upstream-error']);
  }, 20_000);
});

describe('ordering: requests the fallback engine takes stay in order on their connection (issue 7)', () => {
  it.each([
    ['HTTP/1.0 keep-alive POST', 'POST /first HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello'],
    ['Transfer-Encoding: identity, chunked', 'POST /first HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    ['Expect: 100-continue', 'POST /first HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello'],
  ])('%s then a GET, pipelined: the app never sees the GET before the POST is answered', async (_name, first) => {
    // The app holds its answer to /first for up to HOLD_MS; seeing /second meanwhile means kdp sent the next request
    // on the client connection before the previous one was answered, so the app may run them in either order.
    const HOLD_MS = 600;
    const events: string[] = [];
    const hold: { release: (() => void) | null } = { release: null };
    const app = new RecordingApp(5000, (req, res) => {
      events.push(`start ${req.url ?? ''}`);
      if (req.url === '/first') {
        req.resume();
        req.on('end', () => {
          const t = setTimeout(answer, HOLD_MS);
          function answer(): void {
            clearTimeout(t);
            hold.release = null;
            events.push('answer /first');
            res.end('first');
          }
          hold.release = answer;
        });
        return true;
      }
      // A request overlapping /first: let /first go at once, so the test ends fast.
      hold.release?.();
      return false;
    });
    await app.listen();
    cleanups.push(() => app.close());
    const k = await kdp(app.port);
    const r = await sendSegments(
      k.port,
      [Buffer.from(`${first}GET /second HTTP/1.1\r\nHost: h\r\n\r\n`, 'latin1')],
      (b) => parseResponses(b).responses.filter((x) => x.status >= 200).length >= 2,
      5000,
    );
    const statuses = parseResponses(r.bytes).responses.filter((x) => x.status >= 200).map((x) => x.status);
    const refused = statuses[0] !== undefined && statuses[0] >= 400 && !events.includes('start /first');
    if (!refused) {
      expect(statuses).toEqual([200, 200]);
      expect(events).toEqual(['start /first', 'answer /first', 'start /second']);
    }
  }, 15_000);
});
