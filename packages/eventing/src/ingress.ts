// The broker ingress: `POST /<namespace>/<broker>` with a CloudEvent in binary or structured mode, answered 202 once
// the event is stored (knative/eventing pkg/broker/ingress/ingress_handler.go). `OPTIONS` is the CloudEvents
// webhook handshake; other methods 405; `/` 404; any other path shape 400; unknown broker 404; an invalid event 400
// naming the attribute; batch mode 400 (as Knative's MT broker). Overload (too much undelivered, or the store
// behind) and a failing store answer 503 with `Retry-After`, never 500 and never a hang.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorHeaders } from '@kdp/core';
import { BATCH_CONTENT_TYPE, fromBinary, fromStructured, InvalidEventError, STRUCTURED_CONTENT_TYPE, type CloudEvent } from './cloudevent.js';
import type { BrokerEngine, Refusal } from './broker-engine.js';

/** Largest event body read; Knative sets none, but a bound is kdp's rule. 4 MiB is far above a typical event. */
export const MAX_EVENT_BYTES = 4 * 1024 * 1024;
/** Seconds a producer is told to wait after a 503: about the time one commit or one drain step takes. */
const RETRY_AFTER_SECONDS = '1';
/** A request whose body has not arrived by then is cut off (slow clients must not hold memory forever). */
const REQUEST_TIMEOUT_MS = 30_000;

const OPTIONS_HEADERS: readonly string[] = Object.freeze([
  'Allow', 'POST, OPTIONS',
  'WebHook-Allowed-Origin', '*',
  'WebHook-Allowed-Rate', '*',
  'Content-Length', '0',
]);
const ACCEPTED_HEADERS: readonly string[] = Object.freeze(['Content-Length', '0']);
const METHOD_HEADERS: readonly string[] = Object.freeze([...errorHeaders('bad-request'), 'Allow', 'POST, OPTIONS']);
const OVERLOADED_HEADERS: readonly string[] = Object.freeze([...errorHeaders('overloaded'), 'Retry-After', RETRY_AFTER_SECONDS]);

export interface Ingress {
  readonly server: http.Server;
  /** `127.0.0.1:<port>` once listening. */
  readonly port: number;
  close(): Promise<void>;
}

export function createIngressHandler(engine: BrokerEngine): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const method = req.method ?? '';
    if (method === 'OPTIONS') {
      res.writeHead(200, OPTIONS_HEADERS as string[]).end();
      return;
    }
    if (method !== 'POST') {
      send(res, 405, METHOD_HEADERS, `method ${method} not allowed; the broker ingress takes POST\n`);
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = (q < 0 ? url : url.slice(0, q)).replace(/\/+$/, '');
    if (path === '') {
      send(res, 404, errorHeaders('not-found'), 'no broker at /; POST to /<namespace>/<broker>\n');
      return;
    }
    const parts = path.split('/');
    if (parts.length !== 3 || parts[1] === '' || parts[2] === '') {
      send(res, 400, errorHeaders('bad-request'), `malformed request URI ${JSON.stringify(url)}: expected /<namespace>/<broker>\n`);
      return;
    }
    const broker = `${parts[1] ?? ''}/${parts[2] ?? ''}`;
    if (!engine.hasBroker(broker)) {
      drain(req);
      send(res, 404, errorHeaders('not-found'), `broker ${JSON.stringify(parts[2])} not found in namespace ${JSON.stringify(parts[1])}\n`);
      return;
    }
    const ct = (req.headers['content-type'] ?? '').toLowerCase();
    if (ct.startsWith(BATCH_CONTENT_TYPE)) {
      drain(req);
      send(res, 400, errorHeaders('bad-request'), 'batched CloudEvents are not supported; send one event per request\n');
      return;
    }
    readBody(req, (err, body) => {
      if (err !== undefined) {
        send(res, err === 'too-large' ? 413 : 400, errorHeaders('bad-request'), err === 'too-large' ? `event larger than ${String(MAX_EVENT_BYTES)} bytes\n` : 'request body not received\n');
        return;
      }
      let event: CloudEvent;
      try {
        event = ct.startsWith(STRUCTURED_CONTENT_TYPE) ? fromStructured(body) : fromBinary(req.headers, body);
      } catch (e) {
        if (!(e instanceof InvalidEventError)) throw e;
        send(res, 400, errorHeaders('bad-request'), `invalid CloudEvent: ${e.message}\n`);
        return;
      }
      engine.accept(broker, event, (refusal) => {
        if (refusal === undefined) res.writeHead(202, ACCEPTED_HEADERS as string[]).end();
        else refuse(res, refusal);
      });
    });
  };
}

function refuse(res: http.ServerResponse, r: Refusal): void {
  switch (r.kind) {
    case 'unknown-broker':
      send(res, 404, errorHeaders('not-found'), `${r.message}\n`);
      return;
    case 'ttl-exhausted':
      send(res, 400, errorHeaders('bad-request'), `invalid CloudEvent: ${r.message}\n`);
      return;
    case 'overloaded':
    case 'store-failed':
    case 'shutting-down':
      send(res, 503, OVERLOADED_HEADERS, `${r.message}; retry later\n`);
      return;
  }
}

function send(res: http.ServerResponse, status: number, headers: readonly string[], body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, [...headers, 'Content-Length', String(Buffer.byteLength(body))]).end(body);
}

function drain(req: http.IncomingMessage): void {
  req.resume();
}

function readBody(req: http.IncomingMessage, cb: (err: 'too-large' | 'aborted' | undefined, body: Buffer) => void): void {
  const declared = Number(req.headers['content-length'] ?? -1);
  if (declared > MAX_EVENT_BYTES) {
    drain(req);
    cb('too-large', Buffer.alloc(0));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  req.on('data', (c: Buffer) => {
    if (done) return;
    size += c.length;
    if (size > MAX_EVENT_BYTES) {
      done = true;
      cb('too-large', Buffer.alloc(0));
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (done) return;
    done = true;
    cb(undefined, chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(chunks));
  });
  req.on('error', () => {
    if (done) return;
    done = true;
    cb('aborted', Buffer.alloc(0));
  });
}

/** Starts the ingress on `host:port` (0: any free port). */
export async function startIngress(engine: BrokerEngine, host: string, port: number): Promise<Ingress> {
  const server = http.createServer({ requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 65_000 }, createIngressHandler(engine));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    server,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
