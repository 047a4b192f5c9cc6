/**
 * A client for bursts: N keep-alive sockets opened first (in batches, so the listen backlog never overflows), then
 * every request written at once, one per socket (or, with fewer sockets than requests, the rest sent as sockets
 * free up). Byte-level HTTP/1.1 on `node:net`: a response is framed by Content-Length or chunked encoding; anything
 * else, or a socket that errors or closes before its answer, is an error. Latency per request is from its write to
 * the end of its response.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface BurstOptions {
  /** `127.0.0.1` and the router's port. */
  readonly host: string;
  readonly port: number;
  /** The Host header (routing). */
  readonly hostHeader: string;
  readonly path: string;
  readonly requests: number;
  /** Default: `requests` (all in flight at once). */
  readonly sockets?: number;
  /** Sockets connected at a time while opening; default 500 (below the router's listen backlog of 1024). */
  readonly connectBatch?: number;
  /** Gives up on whatever is unanswered after this long; default 120 s. */
  readonly timeoutMs?: number;
}

export interface BurstResult {
  readonly requests: number;
  readonly answered: number;
  readonly ok: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Socket errors, closes before the answer, unparseable answers, timeouts. */
  readonly errors: number;
  readonly errorSamples: readonly string[];
  /** From the first write. */
  readonly firstAnswerMs: number;
  readonly allAnsweredMs: number;
  /** Per request, write → end of response, ms (answered ones). */
  readonly latenciesMs: readonly number[];
}

interface Conn {
  readonly socket: net.Socket;
  buf: Buffer;
  sentAt: number;
  busy: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Length of a complete response at the start of `b`, its status; or undefined if more bytes are needed. Throws on nonsense. */
function completeResponse(b: Buffer): { length: number; status: number } | undefined {
  const headEnd = b.indexOf(CRLFCRLF);
  if (headEnd < 0) return undefined;
  const head = b.toString('latin1', 0, headEnd);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(head.slice(0, 80))}`);
  const bodyStart = headEnd + 4;
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (cl?.[1] !== undefined) {
    const end = bodyStart + Number(cl[1]);
    return b.length >= end ? { length: end, status } : undefined;
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    // Walk the chunks: size line, data, CRLF; the last chunk is size 0 followed by an empty trailer line.
    let at = bodyStart;
    for (;;) {
      const lineEnd = b.indexOf('\r\n', at, 'latin1');
      if (lineEnd < 0) return undefined;
      const size = parseInt(b.toString('latin1', at, lineEnd), 16);
      if (!Number.isFinite(size)) throw new Error('bad chunk size');
      if (size === 0) {
        const trailerEnd = b.indexOf(CRLFCRLF, lineEnd);
        if (trailerEnd === lineEnd) return { length: lineEnd + 4, status };
        return trailerEnd < 0 ? undefined : { length: trailerEnd + 4, status };
      }
      at = lineEnd + 2 + size + 2;
      if (b.length < at) return undefined;
    }
  }
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return { length: bodyStart, status };
  throw new Error('response without Content-Length or chunked framing');
}

export class BurstClient {
  readonly #o: Required<Omit<BurstOptions, 'sockets'>> & { readonly sockets: number };
  readonly #conns: Conn[] = [];
  readonly #request: Buffer;

  private constructor(o: BurstOptions) {
    this.#o = {
      connectBatch: 500,
      timeoutMs: 120_000,
      ...o,
      sockets: Math.min(o.sockets ?? o.requests, o.requests),
    };
    this.#request = Buffer.from(`GET ${o.path} HTTP/1.1\r\nHost: ${o.hostHeader}\r\nUser-Agent: kdp-bench-burst\r\n\r\n`, 'latin1');
  }

  /** Opens every socket; resolves once all are connected. */
  static async connect(o: BurstOptions): Promise<BurstClient> {
    const c = new BurstClient(o);
    const { sockets, connectBatch } = c.#o;
    try {
      for (let opened = 0; opened < sockets; ) {
        const n = Math.min(connectBatch, sockets - opened);
        await Promise.all(Array.from({ length: n }, () => c.#open()));
        opened += n;
      }
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  }

  get sockets(): number {
    return this.#conns.length;
  }

  #open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.#o.host, port: this.#o.port, noDelay: true });
      const conn: Conn = { socket, buf: Buffer.alloc(0), sentAt: 0, busy: false };
      const onError = (err: Error): void => reject(new Error(`connect ${this.#o.host}:${String(this.#o.port)}: ${err.message}`));
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.removeListener('error', onError);
        this.#conns.push(conn);
        resolve();
      });
    });
  }

  /** Writes every request (up to one per socket) in one go; resolves when all are answered, failed or timed out. */
  fire(hooks: { readonly onFirstAnswer?: () => void } = {}): Promise<BurstResult> {
    const total = this.#o.requests;
    let unsent = total;
    let settled = 0;
    let ok = 0;
    let errors = 0;
    const errorSamples: string[] = [];
    const statusCodes: Record<string, number> = {};
    const latencies: number[] = [];
    let firstAnswerAt = Number.NaN;
    let lastAnswerAt = Number.NaN;
    const t0 = performance.now();

    return new Promise((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({
          requests: total,
          answered: latencies.length,
          ok,
          statusCodes,
          errors,
          errorSamples,
          firstAnswerMs: firstAnswerAt - t0,
          allAnsweredMs: lastAnswerAt - t0,
          latenciesMs: latencies,
        });
      };
      const fail = (c: Conn, why: string): void => {
        if (!c.busy) return;
        c.busy = false;
        errors++;
        settled++;
        if (errorSamples.length < 10) errorSamples.push(why);
        if (settled === total) finish();
      };
      const send = (c: Conn): void => {
        if (unsent === 0 || c.socket.destroyed) return;
        unsent--;
        c.busy = true;
        c.sentAt = performance.now();
        c.socket.write(this.#request);
      };
      const timer = setTimeout(() => {
        for (const c of this.#conns) fail(c, `no answer within ${String(this.#o.timeoutMs)} ms`);
        errors += unsent;
        settled += unsent;
        unsent = 0;
        finish();
      }, this.#o.timeoutMs);

      for (const c of this.#conns) {
        c.socket.on('data', (chunk: Buffer) => {
          c.buf = c.buf.length === 0 ? chunk : Buffer.concat([c.buf, chunk]);
          let r: { length: number; status: number } | undefined;
          try {
            r = completeResponse(c.buf);
          } catch (err) {
            fail(c, err instanceof Error ? err.message : String(err));
            c.socket.destroy();
            return;
          }
          if (r === undefined) return;
          const now = performance.now();
          c.buf = c.buf.subarray(r.length);
          if (!c.busy) return;
          c.busy = false;
          settled++;
          latencies.push(now - c.sentAt);
          if (Number.isNaN(firstAnswerAt)) {
            firstAnswerAt = now;
            hooks.onFirstAnswer?.();
          }
          lastAnswerAt = now;
          statusCodes[String(r.status)] = (statusCodes[String(r.status)] ?? 0) + 1;
          if (r.status >= 200 && r.status < 300) ok++;
          if (settled === total) finish();
          else send(c);
        });
        c.socket.on('error', (err) => fail(c, `socket error: ${err.message}`));
        c.socket.on('close', () => fail(c, 'connection closed before the answer'));
      }
      for (const c of this.#conns) send(c);
    });
  }

  close(): void {
    for (const c of this.#conns) c.socket.destroy();
  }
}
