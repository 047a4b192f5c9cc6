/**
 * A reference point, not a product: the plainest node:http reverse proxy (http.request on a keep-alive agent,
 * bodies piped both ways, hop-by-hop headers dropped). `bench reference` runs it beside the direct baseline so the
 * queue-proxy's figures can be read against "what node:http costs" measured in the same run.
 *
 * env: PORT (listen), UPSTREAM_PORT (the app), both on 127.0.0.1.
 */
import { Agent, createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function forwardable(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

const port = Number(process.env['PORT']);
const upstreamPort = Number(process.env['UPSTREAM_PORT']);
if (!Number.isInteger(port) || !Number.isInteger(upstreamPort)) {
  process.stderr.write('PORT and UPSTREAM_PORT must be set\n');
  process.exit(2);
}
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1000 });

const server = createServer((req, res) => {
  const up = request(
    { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: forwardable(req.headers), agent },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, forwardable(upRes.headers));
      upRes.pipe(res);
    },
  );
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'x-kdp-reference-proxy': 'error' });
    res.end();
  });
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
