/**
 * The queue-proxy's side ports, each a bare node:http server (they see a request a second at most, and
 * fastify would cost ~10 MB of RSS in a process that runs in every pod):
 *  - autoscaler stats (9090): any method on `/metrics` → the `Stat` protobuf (`S:pkg/queue/stats_handler.go`);
 *  - admin (8022): `/wait-for-drain`, the user container's preStop hook (`S:.../sharedmain/handlers.go#adminHandler`);
 *  - user metrics (9091): Prometheus text.
 */
import http from 'node:http';

const NOT_FOUND = '404 page not found\n';

function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(NOT_FOUND);
}

/** Knative's ReadHeaderTimeout on these servers: 1 min. */
function harden(server: http.Server, headersTimeoutMs: number): http.Server {
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = 0;
  return server;
}

export function createStatsServer(current: () => Uint8Array | Promise<Uint8Array>): http.Server {
  const send = (res: http.ServerResponse, body: Uint8Array): void => {
    res.writeHead(200, { 'Content-Type': 'application/protobuf', 'Content-Length': body.length });
    res.end(body);
  };
  return harden(
    http.createServer((req, res) => {
      if (pathOf(req.url) !== '/metrics') {
        notFound(res);
        return;
      }
      const body = current();
      if (body instanceof Uint8Array) send(res, body);
      else {
        body.then(
          (b) => send(res, b),
          () => {
            res.writeHead(500);
            res.end();
          },
        );
      }
    }),
    60_000,
  );
}

export interface AdminDrain {
  drain(): Promise<void>;
  reset(): void;
}

/**
 * `/wait-for-drain`: joins the drain and answers 200 once it completes. If no SIGTERM arrives within 1 s
 * (kubelet restarting only the user container), the drain is reset so the pod keeps serving.
 */
export function createAdminServer(drainer: AdminDrain, terminating: () => boolean, resetAfterMs = 1000): http.Server {
  return harden(
    http.createServer((req, res) => {
      if (pathOf(req.url) !== '/wait-for-drain') {
        notFound(res);
        return;
      }
      if (fromBrowser(req)) {
        // A page could otherwise make a local pod drain with a no-cors GET; kubelet's preStop hook sends neither header.
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('the admin port does not answer web pages (Origin or Sec-Fetch-Site cross-site)\n');
        return;
      }
      const timer = setTimeout(() => {
        if (!terminating()) drainer.reset();
      }, resetAfterMs);
      drainer.drain().then(
        () => {
          clearTimeout(timer);
          res.writeHead(200, { 'Content-Length': 0 });
          res.end();
        },
        () => {
          clearTimeout(timer);
          res.writeHead(500);
          res.end();
        },
      );
    }),
    60_000,
  );
}

/**
 * A request a web browser made on a page's behalf: it carries an Origin, or a `Sec-Fetch-Site` other than `none`
 * (typed in the address bar) or `same-origin`. Browsers send these on every request, no-cors GETs included.
 */
function fromBrowser(req: http.IncomingMessage): boolean {
  if (req.headers.origin !== undefined) return true;
  const site = req.headers['sec-fetch-site'];
  return site !== undefined && site !== 'none' && site !== 'same-origin';
}

export interface TextRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export function createUserMetricsServer(registry: TextRegistry): http.Server {
  return harden(
    http.createServer((req, res) => {
      if (pathOf(req.url) !== '/metrics') {
        notFound(res);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Method Not Allowed\n');
        return;
      }
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(`${String(err)}\n`);
        },
      );
    }),
    5_000,
  );
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
