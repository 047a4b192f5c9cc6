import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { PayloadBuffer } from './payload.js';
import { parseQuery, type SampleQuery } from './query.js';

export interface HandlerOptions {
  /** helloworld-go's TARGET: the default answer is `Hello ${target}!\n`. */
  readonly target: string;
  /** Sent back in `X-Kdp-Revision` on every response when set (Knative's K_REVISION). */
  readonly revision?: string;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Bodies up to this size are served from the buffer allocated at start; larger ones grow it once. */
const PREALLOCATED_BYTES = 64 * 1024;

/**
 * The app's endpoints. Everything that can be is computed here, once: the hello body and its headers, the payload
 * buffer. The hot paths (`/` and `/?size=N`) allocate one small headers object and nothing else.
 */
export function createRequestHandler(opts: HandlerOptions): RequestHandler {
  const revision = opts.revision;
  const withRevision =
    revision === undefined
      ? (h: OutgoingHttpHeaders): OutgoingHttpHeaders => h
      : (h: OutgoingHttpHeaders): OutgoingHttpHeaders => {
          h['x-kdp-revision'] = revision;
          return h;
        };
  const hello = Buffer.from(`Hello ${opts.target}!\n`);
  const helloHeaders = withRevision({
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(hello.length),
  });
  const payload = new PayloadBuffer(PREALLOCATED_BYTES);

  function sendHello(res: ServerResponse): void {
    res.writeHead(200, helloHeaders);
    res.end(hello);
  }

  function sendSized(res: ServerResponse, size: number): void {
    res.writeHead(200, withRevision({ 'content-type': 'text/plain', 'content-length': size }));
    res.end(payload.view(size));
  }

  function sendText(res: ServerResponse, status: number, text: string, extra?: OutgoingHttpHeaders): void {
    const body = Buffer.from(text);
    res.writeHead(status, withRevision({ ...extra, 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length }));
    res.end(body);
  }

  function sendStream(res: ServerResponse, q: SampleQuery, chunks: number): void {
    res.writeHead(
      200,
      withRevision({
        'content-type': q.sse ? 'text/event-stream' : 'text/plain; charset=utf-8',
        'cache-control': 'no-cache',
      }),
    );
    res.flushHeaders();
    const intervalMs = q.intervalMs ?? 0;
    const size = q.size;
    const chunk = (i: number): Buffer | string =>
      size !== undefined ? payload.view(size) : q.sse ? `data: ${String(i)}\n\n` : `${String(i)}\n`;
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const next = (): void => {
      timer = undefined;
      while (i < chunks) {
        if (res.destroyed) return;
        const flushed = res.write(chunk(i));
        i++;
        if (i === chunks) break;
        if (intervalMs > 0) {
          timer = setTimeout(next, intervalMs);
          return;
        }
        // Honour backpressure when chunks are produced back to back.
        if (!flushed) {
          res.once('drain', next);
          return;
        }
      }
      res.end();
    };
    res.once('close', () => {
      if (timer !== undefined) clearTimeout(timer);
    });
    next();
  }

  function respond(res: ServerResponse, q: SampleQuery): void {
    if (q.chunks !== undefined) sendStream(res, q, q.chunks);
    else if (q.size !== undefined) sendSized(res, q.size);
    else sendHello(res);
  }

  function sendEcho(req: IncomingMessage, res: ServerResponse, url: string, path: string, qs: string): void {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => {
      bodyBytes += c.length;
    });
    req.once('end', () => {
      const rawHeaders: [string, string][] = [];
      const raw = req.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) rawHeaders.push([raw[i] ?? '', raw[i + 1] ?? '']);
      const body = JSON.stringify({
        method: req.method,
        url,
        path,
        query: qs,
        httpVersion: req.httpVersion,
        headers: req.headers,
        rawHeaders,
        remoteAddress: req.socket.remoteAddress,
        remotePort: req.socket.remotePort,
        bodyBytes,
      });
      res.writeHead(200, withRevision({ 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }));
      res.end(body);
    });
  }

  function sendEchoBody(req: IncomingMessage, res: ServerResponse): void {
    const headers: OutgoingHttpHeaders = { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' };
    // Same framing as the request when it had a length; otherwise chunked.
    const length = req.headers['content-length'];
    if (length !== undefined) headers['content-length'] = length;
    res.writeHead(200, withRevision(headers));
    // pipeline honours backpressure and destroys both sides if either fails (client gone, body cut short).
    pipeline(req, res, () => undefined);
  }

  function sendStatus(res: ServerResponse, path: string): void {
    const code = path.length === 11 ? Number(path.slice(8)) : NaN;
    if (!Number.isInteger(code) || code < 200 || code > 599) {
      sendText(res, 400, 'status must be /status/NNN with NNN in 200..599\n');
      return;
    }
    if (code === 204 || code === 304) {
      res.writeHead(code, withRevision({}));
      res.end();
      return;
    }
    sendText(res, code, `${String(code)} ${STATUS_CODES[code] ?? 'Unknown'}\n`);
  }

  return function handle(req, res): void {
    const url = req.url ?? '/';
    if (url === '/') {
      sendHello(res);
      return;
    }
    const qi = url.indexOf('?');
    const path = qi === -1 ? url : url.slice(0, qi);
    const qs = qi === -1 ? '' : url.slice(qi + 1);
    switch (path) {
      case '/echo':
        sendEcho(req, res, url, path, qs);
        return;
      case '/echo-body':
        sendEchoBody(req, res);
        return;
      case '/ws':
        sendText(res, 426, 'websocket upgrade required\n', { connection: 'Upgrade', upgrade: 'websocket' });
        return;
      default:
        break;
    }
    if (path.startsWith('/status/')) {
      sendStatus(res, path);
      return;
    }
    if (qs === '') {
      sendHello(res);
      return;
    }
    const parsed = parseQuery(qs);
    if (!parsed.ok) {
      sendText(res, 400, `${parsed.problem}\n`);
      return;
    }
    const q = parsed.query;
    if (q.sleepMs === undefined || q.sleepMs === 0) {
      respond(res, q);
      return;
    }
    const timer = setTimeout(respond, q.sleepMs, res, q);
    res.once('close', () => clearTimeout(timer));
  };
}
