/**
 * Eventing end to end on real processes: `kdp serve`, the `kdp` CLI, the router's broker-ingress host, a Service
 * running the event-display sample as subscriber, and subscribers that are HTTP servers of the test.
 */
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiAuth, cleanup, kdp, startServe, type Serve } from './cli-harness.js';
import { request } from './helpers/http.js';
import { kdpOk } from './helpers/traffic.js';

afterEach(async () => {
  await closeSinks();
  await cleanup();
});

const EVENT_DISPLAY_CMD = 'node packages/eventing/bin/event-display.js';
const ingressHost = (s: Serve): string => `broker-ingress.knative-eventing.localhost:${String(s.routerPort)}`;

function postEvent(s: Serve, broker: string, headers: Record<string, string>, body = '{"msg":"hello knative!"}', ns = 'default'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return request(s.routerPort, `/${ns}/${broker}`, { method: 'POST', headers: { host: ingressHost(s), 'content-type': 'application/json', ...headers }, body });
}

const ce = (id: string, type: string): Record<string, string> => ({ 'Ce-Id': id, 'Ce-Specversion': '1.0', 'Ce-Type': type, 'Ce-Source': 'not-sendoff' });

const sinks: http.Server[] = [];
async function closeSinks(): Promise<void> {
  await Promise.all(sinks.splice(0).map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); })));
}

/** A subscriber of the test: records the ids it got (duplicates too). */
async function recordingSink(status = 200, port = 0): Promise<{ url: string; port: number; ids: string[]; until(pred: () => boolean, ms: number, what: string): Promise<void> }> {
  const ids: string[] = [];
  const waiters: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      ids.push(String(req.headers['ce-id']));
      res.writeHead(status).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  sinks.push(server);
  const p = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${String(p)}/`,
    port: p,
    ids,
    async until(pred, ms, what) {
      const deadline = Date.now() + ms;
      while (!pred()) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}; sink has ${String(ids.length)} requests`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 500));
          waiters.push(() => { clearTimeout(t); resolve(); });
        });
      }
    },
  };
}

describe('eventing through the kdp CLI', () => {
  it('the README walkthrough: broker, event-display, trigger with a filter, curl, see it, see another type filtered out', { timeout: 90_000 }, async () => {
    const s = await startServe({ extraArgs: ['--log-level', 'info'] });
    expect((await kdpOk(s.server, 'broker', 'create', 'example-broker')).stdout).toBe("Broker 'example-broker' successfully created in namespace 'default'.\n");
    await kdpOk(s.server, 'service', 'create', 'event-display', '--cmd', EVENT_DISPLAY_CMD, '--scale-min', '1');
    const created = await kdpOk(s.server, 'trigger', 'create', 'event-display-trigger', '--sink', 'event-display', '--broker', 'example-broker', '--filter', 'type=greeting');
    expect(created.stdout).toBe("Trigger 'event-display-trigger' successfully created in namespace 'default'.\n");

    const brokers = (await kdpOk(s.server, 'broker', 'list')).stdout;
    expect(brokers).toMatch(new RegExp(`^NAME\\s+URL\\s+AGE\\s+CONDITIONS\\s+READY\\s+REASON\\nexample-broker\\s+http://${ingressHost(s).replaceAll('.', '\\.')}/default/example-broker\\s+\\d+s\\s+4 OK / 4\\s+True\\s*\\n$`));
    const triggers = (await kdpOk(s.server, 'trigger', 'list')).stdout;
    expect(triggers).toMatch(/^NAME\s+BROKER\s+SINK\s+AGE\s+CONDITIONS\s+READY\s+REASON\nevent-display-trigger\s+example-broker\s+ksvc:event-display\s+\d+s\s+5 OK \/ 5\s+True\s*\n$/);
    const yaml = (await kdpOk(s.server, 'trigger', 'describe', 'event-display-trigger', '-o', 'yaml')).stdout;
    expect(yaml).toContain('apiVersion: eventing.knative.dev/v1');
    expect(yaml).toContain(`subscriberUri: http://event-display.default.localhost:${String(s.routerPort)}`);

    // curl -v "http://broker-ingress.knative-eventing.localhost:8080/default/example-broker" -X POST -H "Ce-Id: say-hello" …
    const accepted = await postEvent(s, 'example-broker', ce('say-hello', 'greeting'));
    expect(accepted.status).toBe(202);
    const line = await s.proc.waitForLog((l) => typeof l['msg'] === 'string' && l['msg'].includes('id: say-hello'), 30_000);
    expect(line['container']).toBe('user-container');
    expect(s.proc.stdout).toContain('"msg":"  type: greeting"');
    expect(s.proc.stdout).toContain('"msg":"    \\"msg\\": \\"hello knative!\\""');

    // Another type is filtered out; a later greeting shows the display is still fed (so the farewell was not just slow).
    expect((await postEvent(s, 'example-broker', ce('say-goodbye', 'farewell'))).status).toBe(202);
    expect((await postEvent(s, 'example-broker', ce('say-hello-again', 'greeting'))).status).toBe(202);
    await s.proc.waitForLog((l) => typeof l['msg'] === 'string' && l['msg'].includes('id: say-hello-again'), 30_000);
    expect(s.proc.stdout).not.toContain('say-goodbye');

    // The ingress's own answers through the router.
    expect((await postEvent(s, 'nope', ce('x', 'greeting'))).status).toBe(404);
    const bad = await postEvent(s, 'example-broker', { 'Ce-Specversion': '1.0', 'Ce-Type': 'greeting', 'Ce-Source': 's' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('id: missing required attribute');
    const structured = JSON.stringify({ specversion: '1.0', id: 'structured-1', source: 's', type: 'greeting', data: { a: 1 } });
    expect((await postEvent(s, 'example-broker', { 'content-type': 'application/cloudevents+json' }, structured)).status).toBe(202);
    await s.proc.waitForLog((l) => typeof l['msg'] === 'string' && l['msg'].includes('id: structured-1'), 30_000);
    const get = await request(s.routerPort, '/default/example-broker', { headers: { host: ingressHost(s) } });
    expect(get.status).toBe(405);

    // Clean up with kn's messages.
    expect((await kdpOk(s.server, 'trigger', 'delete', 'event-display-trigger')).stdout).toBe("Trigger 'event-display-trigger' deleted in namespace 'default'.\n");
    expect((await kdpOk(s.server, 'broker', 'delete', 'example-broker')).stdout).toBe("Broker 'example-broker' successfully deleted in namespace 'default'.\n");
    expect((await postEvent(s, 'example-broker', ce('late', 'greeting'))).status).toBe(404);
  });

  it('refuses bad input with a clear error and changes nothing', { timeout: 60_000 }, async () => {
    const s = await startServe();
    await kdpOk(s.server, 'broker', 'create', 'b');
    const cases: [string[], RegExp][] = [
      [['trigger', 'create', 't', '--broker', 'missing', '--sink', 'http://127.0.0.1:1/'], /broker "missing" not found in namespace "default"/],
      [['trigger', 'create', 't', '--broker', 'b', '--sink', 'ksvc:nosuch'], /services\.serving\.knative\.dev "nosuch" not found/],
      [['trigger', 'create', 't', '--broker', 'b', '--sink', 'http://127.0.0.1:1/', '--filter', 'type'], /--filter "type": expected KEY=VALUE/],
      [['source', 'ping', 'create', 'p', '--schedule', '* * *', '--sink', 'http://127.0.0.1:1/'], /invalid schedule "\* \* \*"/],
      [['source', 'ping', 'create', 'p', '--timezone', 'Mars/Base', '--sink', 'http://127.0.0.1:1/'], /invalid timezone "Mars\/Base"/],
      [['broker', 'create', 'b2', '--backoff-delay', 'soon'], /--backoff-delay "soon": not an ISO-8601 duration/],
      [['broker', 'create', 'b2', '--retry', '-1'], /--retry/],
    ];
    for (const [args, message] of cases) {
      const r = await kdp(s.server, ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    // Server-side validation too (what `kdp apply` or curl would send).
    const r = await request(s.apiPort, '/apis/eventing.knative.dev/v1/namespaces/default/triggers', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...apiAuth(s) },
      body: JSON.stringify({ apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 't' }, spec: { broker: 'b', filters: [{ cesql: "type = 'x'" }], subscriber: { uri: 'http://127.0.0.1:1/' }, delivery: { retry: -2 } } }),
    });
    expect(r.status).toBe(400);
    expect(r.body).toContain('CESQL filters are not supported');
    expect(r.body).toContain('invalid value: -2: spec.delivery.retry');
    expect((await kdpOk(s.server, 'trigger', 'list')).stdout).toBe('No triggers found.\n');
    expect((await kdpOk(s.server, 'source', 'ping', 'list')).stdout).toBe('No Ping sources found.\n');
    expect((await kdpOk(s.server, 'broker', 'list', '-o', 'json')).stdout).toContain('"name": "b"');
    expect((await kdpOk(s.server, 'broker', 'list')).stdout).not.toContain('b2');
  });

  it('a Trigger is not Ready while its subscriber is missing, and says why', { timeout: 60_000 }, async () => {
    const s = await startServe();
    await kdpOk(s.server, 'broker', 'create', 'b');
    const r = await request(s.apiPort, '/apis/eventing.knative.dev/v1/namespaces/default/triggers', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...apiAuth(s) },
      body: JSON.stringify({ apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 't' }, spec: { broker: 'gone', subscriber: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'ghost' } } } }),
    });
    expect(r.status).toBe(201);
    const d = (await kdpOk(s.server, 'trigger', 'describe', 't')).stdout;
    expect(d).toMatch(/!! BrokerReady\s+\d+s BrokerDoesNotExist Broker "gone" does not exist/);
    expect(d).toMatch(/!! SubscriberResolved\s+\d+s NotFound services\.serving\.knative\.dev "ghost" not found/);
    expect((await kdpOk(s.server, 'trigger', 'list')).stdout).toMatch(/\nt\s+gone\s+ksvc:ghost\s+\d+s\s+1 OK \/ 5\s+False\s+BrokerDoesNotExist\n/);
  });

  it('retries with backoff, then the dead-letter sink gets the event with the knativeerror attributes; replies come back with TTL − 1', { timeout: 60_000 }, async () => {
    const s = await startServe();
    const times: number[] = [];
    const failing = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => { times.push(performance.now()); res.writeHead(500, { 'content-type': 'text/plain' }).end('boom'); });
    });
    const dls: http.IncomingHttpHeaders[] = [];
    const dlsServer = http.createServer((req, res) => { req.resume(); req.on('end', () => { dls.push(req.headers); res.writeHead(200).end(); }); });
    // Replies with a new greeting each time: only the TTL ends the loop.
    const replied: string[] = [];
    const replier = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        replied.push(String(req.headers['ce-id']));
        res.writeHead(200, { 'ce-specversion': '1.0', 'ce-id': `re-${String(replied.length)}`, 'ce-source': 'replier', 'ce-type': 'loop', 'content-type': 'text/plain' }).end('again');
      });
    });
    for (const srv of [failing, dlsServer, replier]) {
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      sinks.push(srv);
    }
    const url = (srv: http.Server): string => `http://127.0.0.1:${String((srv.address() as AddressInfo).port)}/`;
    await kdpOk(s.server, 'broker', 'create', 'b', '--retry', '3', '--backoff-policy', 'exponential', '--backoff-delay', 'PT0.2S', '--dl-sink', url(dlsServer));
    const described = (await kdpOk(s.server, 'broker', 'describe', 'b')).stdout;
    expect(described).toMatch(/Delivery:\n\s+Dead Letter Sink:\s+http:\/\/127\.0\.0\.1:\d+\/\n\s+Retry:\s+3\n\s+Backoff Policy:\s+exponential\n\s+Backoff Delay:\s+PT0\.2S/);
    await kdpOk(s.server, 'trigger', 'create', 'fails', '--broker', 'b', '--sink', url(failing), '--filter', 'type=greeting');
    await kdpOk(s.server, 'trigger', 'create', 'loops', '--broker', 'b', '--sink', url(replier), '--filter', 'type=loop');

    expect((await postEvent(s, 'b', ce('doomed', 'greeting'))).status).toBe(202);
    const deadline = Date.now() + 20_000;
    while (dls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    // go-retryablehttp's 0-based attempt index: 200, 400, 800 ms; generous upper margins for a loaded machine.
    [200, 400, 800].forEach((want, i) => {
      expect(gaps[i], `retry ${String(i + 1)}`).toBeGreaterThanOrEqual(want - 10);
      expect(gaps[i], `retry ${String(i + 1)}`).toBeLessThan(want + 600);
    });
    expect(dls[0]).toMatchObject({ 'ce-id': 'doomed', 'ce-type': 'greeting', 'ce-knativeerrordest': url(failing), 'ce-knativeerrorcode': '500', 'ce-knativeerrordata': Buffer.from('boom').toString('base64') });

    expect((await postEvent(s, 'b', { ...ce('seed', 'loop'), 'Ce-Knativebrokerttl': '4' })).status).toBe(202);
    const d2 = Date.now() + 20_000;
    while (replied.length < 4 && Date.now() < d2) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    expect(replied).toEqual(['seed', 're-1', 're-2', 're-3']);
  });

  it('a service created with --sink gets K_SINK and K_CE_OVERRIDES and emits events into the broker (the producer sample)', { timeout: 60_000 }, async () => {
    const s = await startServe();
    const sink = await recordingSink();
    await kdpOk(s.server, 'broker', 'create', 'b');
    await kdpOk(s.server, 'trigger', 'create', 't', '--broker', 'b', '--sink', sink.url);
    await kdpOk(s.server, 'service', 'create', 'producer', '--cmd', 'node packages/eventing/bin/producer.js', '--sink', 'broker:b', '--ce-override', 'origin=kdp');
    const yaml = (await kdpOk(s.server, 'service', 'describe', 'producer', '-o', 'yaml')).stdout;
    expect(yaml).toContain(`value: http://broker-ingress.knative-eventing.localhost:${String(s.routerPort)}/default/b`);
    expect(yaml).toContain('name: K_CE_OVERRIDES');
    const r = await request(s.routerPort, '/', { headers: { host: `producer.default.localhost:${String(s.routerPort)}` } });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^sent to http:\/\/broker-ingress\.knative-eventing\.localhost:\d+\/default\/b: 202\n$/);
    await sink.until(() => sink.ids.length >= 1, 20_000, 'the event from the producer service');
    const bad = await kdp(s.server, 'service', 'create', 'p2', '--cmd', 'node packages/eventing/bin/producer.js', '--sink', 'broker:nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('kdp: brokers.eventing.knative.dev "nope" not found\n');
  });

  it('kdp apply -f takes Broker, Trigger (filters dialect) and PingSource YAML; trigger update edits filters', { timeout: 60_000 }, async () => {
    const s = await startServe();
    const sink = await recordingSink();
    const file = path.join(s.dataDir, 'eventing.yaml');
    const yaml = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: orders
spec:
  delivery:
    retry: 2
    backoffPolicy: linear
    backoffDelay: PT0.1S
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: created
spec:
  broker: orders
  filters:
    - any:
        - prefix: { type: com.example.order. }
        - exact: { type: legacy.order }
    - not:
        suffix: { source: /test }
  subscriber:
    uri: ${sink.url}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata:
  name: tick
spec:
  schedule: "0 0 1 1 *"
  timezone: Europe/Paris
  data: '{"tick":true}'
  sink:
    ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: orders }
`;
    await writeFile(file, yaml);
    const first = await kdpOk(s.server, 'apply', '-f', file);
    expect(first.stdout).toBe("Broker 'orders' created in namespace 'default'.\nTrigger 'created' created in namespace 'default'.\nPing source 'tick' created in namespace 'default'.\n");
    const again = await kdpOk(s.server, 'apply', '-f', file);
    expect(again.stdout).toBe("No changes to apply to broker 'orders' in namespace 'default'.\nNo changes to apply to trigger 'created' in namespace 'default'.\nNo changes to apply to ping source 'tick' in namespace 'default'.\n");
    expect((await kdpOk(s.server, 'source', 'ping', 'describe', 'tick')).stdout).toMatch(/Timezone:\s+Europe\/Paris/);

    const send = (id: string, type: string, source = 'shop'): Promise<{ status: number }> => postEvent(s, 'orders', { 'Ce-Id': id, 'Ce-Specversion': '1.0', 'Ce-Type': type, 'Ce-Source': source });
    for (const [id, type, source] of [
      ['m1', 'com.example.order.created', 'shop'],
      ['m2', 'legacy.order', 'shop'],
      ['x1', 'com.example.invoice', 'shop'],
      ['x2', 'com.example.order.created', 'shop/test'],
      ['m3', 'com.example.order.paid', 'shop'],
    ] as const) expect((await send(id, type, source)).status).toBe(202);
    await sink.until(() => sink.ids.includes('m3'), 20_000, 'm3');
    expect([...sink.ids].sort()).toEqual(['m1', 'm2', 'm3']);

    // A trigger with an attribute filter, then narrowed and widened by `trigger update`.
    await kdpOk(s.server, 'trigger', 'create', 'by-source', '--broker', 'orders', '--sink', sink.url, '--filter', 'source=pos', '--filter', 'type=sale');
    expect((await kdpOk(s.server, 'trigger', 'update', 'by-source', '--filter', 'type-')).stdout).toBe("Trigger 'by-source' updated in namespace 'default'.\n");
    const t = JSON.parse((await kdpOk(s.server, 'trigger', 'describe', 'by-source', '-o', 'json')).stdout) as { spec: { filter: { attributes: Record<string, string> } } };
    expect(t.spec.filter.attributes).toEqual({ source: 'pos' });
    expect((await send('p1', 'anything', 'pos')).status).toBe(202);
    await sink.until(() => sink.ids.includes('p1'), 20_000, 'p1');
  });

  it('PingSource: events on a seconds schedule to a URL sink, with data and CloudEvent overrides', { timeout: 60_000 }, async () => {
    const s = await startServe();
    const got: http.IncomingHttpHeaders[] = [];
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let b = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (b += d));
      req.on('end', () => { got.push(req.headers); bodies.push(b); res.writeHead(200).end(); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sinks.push(server);
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/`;
    const created = await kdpOk(s.server, 'source', 'ping', 'create', 'heartbeat', '--schedule', '*/1 * * * * *', '--data', 'ping!', '--ce-override', 'team=blue', '--sink', url);
    expect(created.stdout).toBe("Ping source 'heartbeat' created in namespace 'default'.\n");
    const deadline = Date.now() + 15_000;
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got[0]).toMatchObject({ 'ce-type': 'dev.knative.sources.ping', 'ce-source': '/apis/v1/namespaces/default/pingsources/heartbeat', 'ce-team': 'blue', 'content-type': 'text/plain' });
    expect(bodies[0]).toBe('ping!');
    expect(got[0]?.['ce-id']).not.toBe(got[1]?.['ce-id']);
    expect((await kdpOk(s.server, 'source', 'ping', 'list')).stdout).toMatch(/\nheartbeat\s+\*\/1 \* \* \* \* \*\s+http:\/\/127\.0\.0\.1:\d+\/\s+\d+s\s+3 OK \/ 3\s+True/);
    expect((await kdpOk(s.server, 'source', 'ping', 'delete', 'heartbeat')).stdout).toBe("Ping source 'heartbeat' deleted in namespace 'default'.\n");
  });

  it('a sink scaled to zero gets a burst of 200 events, none lost', { timeout: 120_000 }, async () => {
    const s = await startServe({ extraArgs: ['--log-level', 'info'] });
    await kdpOk(s.server, 'broker', 'create', 'b');
    await kdpOk(s.server, 'service', 'create', 'display', '--cmd', EVENT_DISPLAY_CMD, '--scale-window', '6s', '--annotation', 'kdp.dev/scale-to-zero-grace-period=1s');
    await kdpOk(s.server, 'trigger', 'create', 't', '--broker', 'b', '--sink', 'ksvc:display');
    const { untilRevision } = await import('./helpers/traffic.js');
    await untilRevision(s.server, 'display-00001', 'zero pods', (r) => r.actualReplicas === 0, 60_000);
    const codes = await Promise.all(Array.from({ length: 200 }, (_, i) => postEvent(s, 'b', ce(`burst-${String(i)}`, 'greeting')).then((r) => r.status)));
    expect(codes.filter((c) => c === 202)).toHaveLength(200);
    const seen = (): Set<string> => new Set([...s.proc.stdout.matchAll(/id: (burst-\d+)/g)].map((m) => m[1] ?? ''));
    const deadline = Date.now() + 60_000;
    while (seen().size < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(seen().size).toBe(200);
    const dead = (await kdpOk(s.server, 'broker', 'dead-letters', 'b')).stdout;
    expect(dead).toBe('No dead letters found.\n');
  });

  it('kill -9 of kdp serve during a stream of 1,000 events, then a restart: every accepted event is delivered at least once', { timeout: 120_000 }, async () => {
    const sink = await recordingSink();
    const s1 = await startServe();
    await kdpOk(s1.server, 'broker', 'create', 'b');
    await kdpOk(s1.server, 'trigger', 'create', 't', '--broker', 'b', '--sink', sink.url);
    const accepted = new Set<string>();
    let errors = 0;
    let next = 0;
    const total = 1000;
    let serve = s1;
    let restart: Promise<void> | undefined;
    // 10 producers, each retrying an event until it is accepted (as a producer should after a refused connection or
    // a 503). kdp serve is killed once 300 events were accepted and started again on the same ports and data.
    const producer = async (): Promise<void> => {
      while (next < total) {
        const id = `k-${String(next++)}`;
        for (;;) {
          try {
            const r = await postEvent(serve, 'b', ce(id, 'greeting'));
            if (r.status === 202) {
              accepted.add(id);
              break;
            }
          } catch {
            // The killed process's connection: retry below.
          }
          errors++;
          await (restart ?? new Promise((r) => setTimeout(r, 50)));
        }
        if (restart === undefined && accepted.size >= 300) {
          s1.proc.kill('SIGKILL');
          restart = s1.proc.exited.then(async () => {
            serve = await startServe({ dataDir: s1.dataDir, routerPort: s1.routerPort, apiPort: s1.apiPort });
          });
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, producer));
    expect(restart).toBeDefined();
    await restart;
    expect(accepted.size).toBe(total);
    await sink.until(() => [...accepted].every((id) => sink.ids.includes(id)), 60_000, 'every accepted event');
    const duplicates = sink.ids.length - new Set(sink.ids).size;
    console.log(`kill -9 after 300 accepted: ${String(total)} events accepted in all, ${String(errors)} attempts refused or cut by the kill and retried; every one delivered, ${String(duplicates)} duplicates`);
    expect(new Set(sink.ids).size).toBe(total);
  });
});
