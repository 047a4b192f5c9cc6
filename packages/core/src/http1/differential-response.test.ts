/**
 * The response direction of the differential suite (issue 7): an app that answers `GET /first` with raw, often
 * malformed bytes and `GET /second` with a plain 200. A node:http client asks both, in order on one keep-alive
 * connection, (a) straight from the app and (b) through kdp's engine. Invariants:
 *  - kdp answers within a bound (no hang on a response head it cannot finish);
 *  - `/second` through kdp is always `200 second`: nothing the app wrote for `/first` (extra bytes, a second
 *    response, a body read with the wrong framing) can become the answer to the next request;
 *  - `/first` through kdp is either kdp's own 502, or what node:http's client reads from the app directly;
 *  - for framing inputs, what node:http's client refuses kdp refuses too (502), instead of passing it on.
 * Then a bounded fast-check run over a grammar of responses checks the first three (the grammar cannot tell which
 * generated responses are framing cases).
 */
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startKdp } from './diff-harness.test-util.js';

interface Case {
  readonly id: string;
  readonly raw: string;
  /** Boundaries are at stake: kdp must not deliver what node:http's client refuses. */
  readonly framing: boolean;
  /** The app closes the connection after writing (close-delimited bodies). */
  readonly close?: boolean;
}

const ok = (head: string, body: string): string => `HTTP/1.1 200 OK\r\n${head}\r\n${body}`;
const CASES: Case[] = [
  { id: 'baseline-cl', raw: ok('Content-Length: 5\r\n', 'hello'), framing: false },
  { id: 'baseline-chunked', raw: ok('Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'), framing: false },
  { id: 'close-delimited', raw: ok('', 'hello'), framing: false, close: true },
  { id: 'http10-close-delimited', raw: 'HTTP/1.0 200 OK\r\n\r\nhello', framing: false, close: true },
  { id: 'cl-and-te', raw: ok('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'), framing: true },
  // docs/http1-rules.md: a response may repeat an identical Content-Length and leaves kdp with one (node:http's
  // client refuses it); the client reads one canonical length, so this is no boundary disagreement.
  { id: 'duplicate-identical-cl', raw: ok('Content-Length: 5\r\nContent-Length: 5\r\n', 'hello'), framing: false },
  { id: 'conflicting-cl', raw: ok('Content-Length: 5\r\nContent-Length: 6\r\n', 'hello!'), framing: true },
  { id: 'cl-list', raw: ok('Content-Length: 5, 5\r\n', 'hello'), framing: true },
  { id: 'cl-plus', raw: ok('Content-Length: +5\r\n', 'hello'), framing: true },
  { id: 'te-gzip-chunked', raw: ok('Transfer-Encoding: gzip, chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'), framing: true },
  { id: 'te-chunked-identity', raw: ok('Transfer-Encoding: chunked, identity\r\n', 'hello'), framing: true, close: true },
  { id: 'te-Chunked', raw: ok('Transfer-Encoding: Chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'), framing: true },
  { id: 'connection-names-cl', raw: ok('Connection: Content-Length\r\nContent-Length: 5\r\n', 'hello'), framing: true },
  { id: 'connection-names-te', raw: ok('Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'), framing: true },
  { id: 'bare-lf-head', raw: 'HTTP/1.1 200 OK\nContent-Length: 5\n\nhello', framing: true },
  { id: 'bare-lf-end', raw: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\nhello', framing: true },
  { id: 'obs-fold', raw: ok('X-A: 1\r\n folded\r\nContent-Length: 5\r\n', 'hello'), framing: true },
  { id: 'ctl-in-value', raw: ok('X-A: a\x01b\r\nContent-Length: 5\r\n', 'hello'), framing: true },
  { id: 'space-before-colon', raw: ok('Content-Length : 5\r\n', 'hello'), framing: true },
  { id: 'chunk-ext', raw: ok('Transfer-Encoding: chunked\r\n', '5;a=b\r\nhello\r\n0\r\n\r\n'), framing: false },
  { id: 'chunk-size-space', raw: ok('Transfer-Encoding: chunked\r\n', '5 \r\nhello\r\n0\r\n\r\n'), framing: true },
  { id: 'chunk-bad-terminator', raw: ok('Transfer-Encoding: chunked\r\n', '5\r\nhelloXX0\r\n\r\n'), framing: true },
  { id: 'chunk-end-bare-lf', raw: ok('Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\n'), framing: true },
  { id: 'trailer-valid', raw: ok('Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n'), framing: false },
  { id: 'trailer-no-colon', raw: ok('Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\nNoColon\r\n\r\n'), framing: true },
  { id: 'extra-bytes-after-body', raw: `${ok('Content-Length: 5\r\n', 'hello')}HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil`, framing: true },
  { id: 'extra-bytes-after-chunked', raw: `${ok('Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n')}HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil`, framing: true },
  { id: 'status-4-digits', raw: 'HTTP/1.1 2000 OK\r\nContent-Length: 5\r\n\r\nhello', framing: true },
  { id: 'status-2-digits', raw: 'HTTP/1.1 20 OK\r\nContent-Length: 5\r\n\r\nhello', framing: true },
  { id: 'status-no-reason', raw: 'HTTP/1.1 200\r\nContent-Length: 5\r\n\r\nhello', framing: false },
  { id: 'version-2', raw: 'HTTP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nhello', framing: true },
  { id: 'not-http', raw: 'SSH-2.0-OpenSSH_9.6\r\n\r\n', framing: true, close: true },
  { id: 'interim-100', raw: `HTTP/1.1 100 Continue\r\n\r\n${ok('Content-Length: 2\r\n', 'ok')}`, framing: false },
  // node:http's client reads the 204, then fails on `hello` as a next response; kdp ends the 204 at its head and
  // must not reuse that connection (checked by /second), which is no boundary disagreement with the client.
  { id: '204-with-body', raw: 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello', framing: false },
  { id: '304-with-cl', raw: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n', framing: false },
];

type Result = { status: number; body: string; connection?: string } | { error: string };

/** The app: `/first` gets the case's raw bytes, anything else a plain `200 <path minus slash>`. */
async function rawApp(c: Case): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let acc = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      acc += d;
      let end: number;
      while ((end = acc.indexOf('\r\n\r\n')) !== -1) {
        const target = (acc.slice(0, end).split(' ')[1] ?? '').slice(1);
        acc = acc.slice(end + 4);
        if (target === 'first') {
          s.write(Buffer.from(c.raw, 'latin1'));
          if (c.close === true) s.end();
        } else s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${String(target.length)}\r\n\r\n${target}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * `GET path` with node:http's client on `agent`, bounded: `{ error: 'hang' }` if no response head came in time,
 * `{ error: 'body-hang' }` if a head came but the body never ended (the app's response is unfinished).
 */
function ask(port: number, path: string, agent: http.Agent, boundMs = 3000): Promise<Result> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent });
    let head = false;
    const t = setTimeout(() => {
      req.destroy();
      resolve({ error: head ? 'body-hang' : 'hang' });
    }, boundMs);
    const done = (r: Result): void => {
      clearTimeout(t);
      resolve(r);
    };
    req.on('response', (res) => {
      head = true;
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, body, ...(res.headers.connection === undefined ? {} : { connection: res.headers.connection }) }));
      res.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
      res.on('aborted', () => done({ error: 'aborted' }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
    req.end();
  });
}

async function both(port: number): Promise<[Result, Result]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await ask(port, '/first', agent);
    const second = await ask(port, '/second', agent);
    return [first, second];
  } finally {
    agent.destroy();
  }
}

/** Runs one case straight and through a fresh kdp; returns the failed invariants. */
async function check(c: Case, strictness: boolean): Promise<{ failures: string[]; note: string }> {
  const app = await rawApp(c);
  const kdp = await startKdp(app.port);
  try {
    const [directFirst] = await both(app.port);
    const [first, second] = await both(kdp.port);
    const failures: string[] = [];
    // A response the app never finishes (its last chunk never ends) keeps node:http's client waiting as well.
    const directHang = 'error' in directFirst && directFirst.error === 'hang';
    if ('error' in first && first.error === 'hang' && !directHang) failures.push('hang: kdp neither answered /first nor closed within 3 s');
    if (!('status' in second) || second.status !== 200 || second.body !== 'second') {
      if ('error' in second && 'status' in first && first.connection !== 'close') {
        // The client reused a connection kdp closed after answering /first without saying it would.
        failures.push(`close-without-connection-close: kdp answered /first ${String(first.status)} without "Connection: close", then closed; /second on the reused connection got ${second.error}`);
      } else failures.push(`desync: /second through kdp got ${JSON.stringify(second)}, not 200 "second"`);
    }
    const refused = 'status' in first && first.status === 502;
    if ('status' in first && !refused && 'status' in directFirst && (first.status !== directFirst.status || first.body !== directFirst.body)) {
      failures.push(`disagrees-with-node: node:http's client read ${JSON.stringify(directFirst)}, through kdp ${JSON.stringify(first)}`);
    }
    // An abort (reset, cut body) is how a proxy ends a response it already started; a parse error is not.
    if ('error' in first && first.error.startsWith('HPE_')) {
      failures.push(`client-refused-kdp: node:http's client could not parse kdp's answer to /first (${first.error})`);
    }
    if (strictness && c.framing && 'error' in directFirst && 'status' in first && !refused) {
      failures.push(`less-strict-than-node: node:http's client refuses this response (${directFirst.error}); kdp passed on ${JSON.stringify(first)}`);
    }
    return { failures, note: `direct: ${JSON.stringify(directFirst)}; via kdp: ${JSON.stringify(first)}` };
  } finally {
    await kdp.close();
    await app.close();
  }
}

describe.concurrent('differential, response direction: node:http client directly vs through kdp', () => {
  it.each(CASES.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const { failures, note } = await check(c, true);
    expect(failures, note).toEqual([]);
  }, 20_000);
});

// ---------------------------------------------------------------------------------------------- bounded fuzzing

const SEED = Number(process.env['KDP_FUZZ_SEED'] ?? 20260705);
const RUNS = Number(process.env['KDP_FUZZ_RESPONSE_RUNS'] ?? 60);
const TIME_LIMIT_MS = Number(process.env['KDP_FUZZ_RESPONSE_MS'] ?? 10_000);

const eol = fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constant('\n') });
const response = fc.record({
  status: fc.oneof(
    { weight: 8, arbitrary: fc.constant('HTTP/1.1 200 OK') },
    { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0 200 OK', 'HTTP/1.1 204 No Content', 'HTTP/1.1 304 Not Modified', 'HTTP/1.1 200', 'HTTP/1.1 20 OK', 'HTTP/2.0 200 OK', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK', 'HTTP/1.1 404 Not Found') },
  ),
  lineEnd: eol,
  headEnd: eol,
  framing: fc.constantFrom('none', 'cl', 'cl', 'chunked', 'chunked', 'both'),
  clForm: fc.constantFrom<(n: number) => string[]>(
    (n) => [`Content-Length: ${String(n)}`],
    (n) => [`Content-Length: ${String(n)}`],
    (n) => [`Content-Length: ${String(n)}`, `Content-Length: ${String(n)}`],
    (n) => [`Content-Length: ${String(n)}`, `Content-Length: ${String(n + 1)}`],
    (n) => [`Content-Length: +${String(n)}`],
    (n) => [`Content-Length: ${String(n)}, ${String(n)}`],
    (n) => [`Content-Length : ${String(n)}`],
  ),
  clDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) }),
  te: fc.constantFrom('chunked', 'chunked', 'Chunked', 'gzip, chunked', 'chunked, identity', 'chunked '),
  connection: fc.constantFrom('', '', 'Connection: close', 'Connection: keep-alive', 'Connection: Content-Length', 'Connection: Transfer-Encoding'),
  extra: fc.constantFrom('', '', 'X-A: 1', 'X-A: a\x01b', 'X-A: 1\r\n folded', 'Bad Name: 1'),
  body: fc.string({ unit: fc.constantFrom('a', 'b', '\r', '\n', '0'), maxLength: 10 }),
  chunks: fc.array(
    fc.tuple(
      fc.integer({ min: 1, max: 5 }),
      fc.constantFrom<(n: number) => string>((n) => n.toString(16), (n) => n.toString(16), (n) => `${n.toString(16)} `, (n) => `${n.toString(16)};e=1`, (n) => `0${n.toString(16)}`),
      fc.oneof({ weight: 8, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', 'XX', '') }),
    ),
    { maxLength: 3 },
  ),
  trailer: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('X-T: 1\r\n', 'NoColon\r\n', 'Content-Length: 9\r\n') }),
  finalEnd: fc.oneof({ weight: 8, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', '') }),
  after: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil', 'xyz') }),
  close: fc.boolean(),
});

type GenResponse = typeof response extends fc.Arbitrary<infer T> ? T : never;

function renderResponse(r: GenResponse): string {
  const headers: string[] = [];
  if (r.extra !== '') headers.push(r.extra);
  let body = '';
  if (r.framing === 'cl' || r.framing === 'both') {
    headers.push(...r.clForm(Math.max(0, r.body.length + r.clDelta)));
    body = r.body;
  }
  if (r.framing === 'chunked' || r.framing === 'both') {
    headers.push(`Transfer-Encoding: ${r.te}`);
    body = '';
    for (const [n, fmt, end] of r.chunks) body += `${fmt(n)}\r\n${'d'.repeat(n)}${end}`;
    body += `0\r\n${r.trailer}${r.finalEnd}`;
  }
  if (r.framing === 'none') body = r.body;
  if (r.connection !== '') headers.push(r.connection);
  return `${r.status}${r.lineEnd}${headers.map((h) => `${h}${r.lineEnd}`).join('')}${r.headEnd}${body}${r.after}`;
}

describe('differential, response direction: bounded fuzzing', () => {
  it(`keeps /second intact and never hangs on generated responses (seed ${String(SEED)}, ≤ ${String(RUNS)} runs, ≤ ${String(TIME_LIMIT_MS)} ms)`, async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(response, async (r) => {
        runs++;
        // A body without framing is delimited by the close; without one the client would wait forever, both ways.
        const c: Case = { id: 'fuzz', raw: renderResponse(r), framing: true, close: r.close || r.framing === 'none' };
        const { failures, note } = await check(c, false);
        expect(failures, `${JSON.stringify(c.raw)}: ${note}`).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    expect(runs).toBeGreaterThan(0);
  }, TIME_LIMIT_MS + 30_000);
});
