#!/usr/bin/env node
// Producer-to-subscriber latency through a kdp broker, beside a plain POST to the same subscriber, one event at a
// time on one keep-alive connection. Starts the subscriber itself on --sink-port; create the broker and trigger
// first:
//   kdp broker create bench && kdp trigger create bench --broker bench --sink http://127.0.0.1:27390/
//   node packages/eventing/scripts/latency.mjs --router-port 8080 --sink-port 27390 --count 2000
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'router-port': { type: 'string', default: '8080' }, 'sink-port': { type: 'string', default: '27390' }, count: { type: 'string', default: '2000' }, broker: { type: 'string', default: 'bench' } } });
const routerPort = Number(values['router-port']);
const count = Number(values.count);
const waiting = new Map();
const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.end();
    const w = waiting.get(req.headers['ce-id']);
    if (w !== undefined) {
      waiting.delete(req.headers['ce-id']);
      w(process.hrtime.bigint());
    }
  });
});
await new Promise((r) => sink.listen(Number(values['sink-port']), '127.0.0.1', r));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const post = (port, path, host, id) =>
  new Promise((resolve, reject) => {
    const req = http.request({ agent, host: '127.0.0.1', port, path, method: 'POST', headers: { host, 'ce-specversion': '1.0', 'ce-id': id, 'ce-type': 'bench', 'ce-source': 'latency', 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end('{"n":1}');
  });
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
async function run(name, send) {
  const us = [];
  for (let i = 0; i < count; i++) {
    const id = `${name}-${i}`;
    const t0 = process.hrtime.bigint();
    const got = new Promise((r) => waiting.set(id, r));
    const status = await send(id);
    if (status !== 202 && status !== 200) throw new Error(`${name}: status ${status}`);
    const t1 = await got;
    us.push(Number(t1 - t0) / 1000);
  }
  us.sort((a, b) => a - b);
  console.log(`${name.padEnd(8)} n=${count} p50 ${(pct(us, 50) / 1000).toFixed(3)} ms  p90 ${(pct(us, 90) / 1000).toFixed(3)} ms  p99 ${(pct(us, 99) / 1000).toFixed(3)} ms`);
  return pct(us, 50);
}
const direct = await run('direct', (id) => post(Number(values['sink-port']), '/', `127.0.0.1:${values['sink-port']}`, id));
const broker = await run('broker', (id) => post(routerPort, `/default/${values.broker}`, `broker-ingress.knative-eventing.localhost:${routerPort}`, id));
console.log(`broker adds ${((broker - direct) / 1000).toFixed(3)} ms at p50 (producer POST to subscriber receipt)`);
agent.destroy();
sink.close();
