#!/usr/bin/env node
// A small CloudEvents producer.
//   node producer.js [URL] [--count N] [--type T] [--source S] [--data JSON]
// sends N events in binary mode (POST with Ce-* headers) and prints each status. Without URL it uses $K_SINK, which
// kdp injects into a service created with `--sink` (SinkBinding-like), and adds the extensions of $K_CE_OVERRIDES.
// With $PORT set (running as a kdp service) it is a web app instead: every request to it emits one event to
// $K_SINK and answers with the broker's status.
import http from 'node:http';
import { randomUUID } from 'node:crypto';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args.splice(i, 2)[1] : dflt;
};
const count = Number(flag('count', '1'));
const type = flag('type', 'greeting');
const source = flag('source', 'kdp-producer');
const data = flag('data', '{"msg":"hello knative!"}');
const sink = args[0] ?? process.env.K_SINK;
const overrides = process.env.K_CE_OVERRIDES === undefined ? {} : (JSON.parse(process.env.K_CE_OVERRIDES).extensions ?? {});

function send(id) {
  return new Promise((resolve, reject) => {
    const u = new URL(sink);
    const headers = { 'ce-specversion': '1.0', 'ce-id': id, 'ce-type': type, 'ce-source': source, 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(overrides)) headers[`ce-${k}`] = String(v);
    // *.localhost is loopback (RFC 6761); dial 127.0.0.1 and keep the Host header so the router routes it.
    const host = u.hostname === 'localhost' || u.hostname.endsWith('.localhost') ? '127.0.0.1' : u.hostname;
    const req = http.request({ host, port: u.port || 80, path: u.pathname + u.search, method: 'POST', headers: { ...headers, host: u.host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(data);
  });
}

if (sink === undefined) {
  process.stderr.write('producer: no URL argument and no $K_SINK\n');
  process.exit(2);
}

if (process.env.PORT !== undefined && args[0] === undefined) {
  http
    .createServer((_req, res) => {
      send(randomUUID()).then(
        (status) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`sent to ${sink}: ${status}\n`),
        (err) => res.writeHead(502, { 'content-type': 'text/plain' }).end(`send failed: ${err.message}\n`),
      );
    })
    .listen(Number(process.env.PORT));
} else {
  for (let i = 0; i < count; i++) {
    const id = count === 1 ? randomUUID() : `${source}-${i}`;
    const status = await send(id);
    process.stdout.write(`${id} ${status}\n`);
  }
}
