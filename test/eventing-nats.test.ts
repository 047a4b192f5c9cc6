/**
 * The NATS JetStream backend against a real nats-server (Debian package `nats-server`, started here with -js on a
 * free port): `kdp serve --eventing-backend nats://…` delivers, filters, retries into kept dead letters, and two
 * `kdp serve` processes sharing one broker deliver every event exactly once per trigger.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, startServe, type Serve } from './cli-harness.js';
import { request } from './helpers/http.js';
import { startNatsServer, type NatsServer } from './helpers/nats.js';
import { kdpOk } from './helpers/traffic.js';

let nats: NatsServer | undefined;
const servers: http.Server[] = [];
afterEach(async () => {
  await cleanup();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
  await nats?.stop();
  nats = undefined;
});

function post(s: Serve, broker: string, id: string, type = 'greeting'): Promise<number> {
  return request(s.routerPort, `/default/${broker}`, {
    method: 'POST',
    headers: { host: `broker-ingress.knative-eventing.localhost:${String(s.routerPort)}`, 'ce-id': id, 'ce-specversion': '1.0', 'ce-type': type, 'ce-source': 'nats-test', 'content-type': 'application/json' },
    body: '{}',
  }).then((r) => r.status);
}

async function sink(status: (n: number) => number = () => 200): Promise<{ url: string; ids: string[] }> {
  const ids: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      ids.push(String(req.headers['ce-id']));
      res.writeHead(status(ids.length)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/`, ids };
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('eventing on NATS JetStream', () => {
  it('delivers through kdp serve, filters, and keeps what fails for good as dead letters that can be redelivered', { timeout: 60_000 }, async () => {
    nats = await startNatsServer();
    const s = await startServe({ extraArgs: ['--eventing-backend', nats.url] });
    expect(s.proc.stdout).toContain(`NATS JetStream at ${nats.url}`);
    const good = await sink();
    let failing = true;
    const bad = await sink(() => (failing ? 400 : 200));
    await kdpOk(s.server, 'broker', 'create', 'b');
    await kdpOk(s.server, 'trigger', 'create', 'greetings', '--broker', 'b', '--sink', good.url, '--filter', 'type=greeting');
    await kdpOk(s.server, 'trigger', 'create', 'fragile', '--broker', 'b', '--sink', bad.url, '--filter', 'type=fragile');
    // The consumers are created asynchronously after the Trigger: send until the first event arrives.
    for (let i = 0; i < 200 && good.ids.length === 0; i++) {
      expect(await post(s, 'b', `warm-${String(i)}`)).toBe(202);
      await new Promise((r) => setTimeout(r, 50));
    }
    await until(() => good.ids.length > 0, 20_000, 'the first delivery');
    for (let i = 0; i < 20; i++) expect(await post(s, 'b', `g-${String(i)}`)).toBe(202);
    expect(await post(s, 'b', 'f-1', 'fragile')).toBe(202);
    expect(await post(s, 'b', 'other', 'other')).toBe(202);
    await until(() => good.ids.filter((i) => i.startsWith('g-')).length >= 20, 20_000, '20 greetings');
    expect(good.ids).not.toContain('other');
    await until(() => bad.ids.length >= 1, 20_000, 'the fragile event');
    const dl = async (): Promise<string> => (await kdpOk(s.server, 'broker', 'dead-letters', 'b')).stdout;
    let listed = '';
    for (let i = 0; i < 100 && !listed.includes('f-1'); i++) {
      listed = await dl();
      if (!listed.includes('f-1')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed).toMatch(/\nfragile\s+f-1\s+nats-test\s+fragile\s+1\s+400\s+/);
    failing = false;
    expect((await kdpOk(s.server, 'broker', 'dead-letters', 'b', '--redeliver')).stdout).toBe("1 dead letter of broker 'b' redelivered in namespace 'default'.\n");
    await until(() => bad.ids.length >= 2, 20_000, 'the redelivery');
    expect(bad.ids).toEqual(['f-1', 'f-1']);
    expect(await dl()).toBe('No dead letters found.\n');
  });

  it('two kdp serve processes sharing one NATS broker deliver each event exactly once per trigger', { timeout: 90_000 }, async () => {
    nats = await startNatsServer();
    const [a, b] = await Promise.all([startServe({ extraArgs: ['--eventing-backend', nats.url] }), startServe({ extraArgs: ['--eventing-backend', nats.url] })]);
    const one = await sink();
    const two = await sink();
    for (const s of [a, b]) {
      await kdpOk(s.server, 'broker', 'create', 'shared');
      await kdpOk(s.server, 'trigger', 'create', 'one', '--broker', 'shared', '--sink', one.url);
      await kdpOk(s.server, 'trigger', 'create', 'two', '--broker', 'shared', '--sink', two.url);
    }
    // Wait until both processes consume: a warm-up event through each.
    for (let i = 0; i < 200 && (one.ids.length === 0 || two.ids.length === 0); i++) {
      await post(a, 'shared', `warm-a-${String(i)}`);
      await post(b, 'shared', `warm-b-${String(i)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    one.ids.length = 0;
    two.ids.length = 0;
    const n = 500;
    const codes = await Promise.all(Array.from({ length: n }, (_, i) => post(i % 2 === 0 ? a : b, 'shared', `x-${String(i)}`)));
    expect(codes.filter((c) => c === 202)).toHaveLength(n);
    const xs = (ids: string[]): string[] => ids.filter((i) => i.startsWith('x-'));
    await until(() => xs(one.ids).length >= n && xs(two.ids).length >= n, 30_000, `${String(n)} events at both sinks`);
    // Let any duplicate arrive before counting.
    await new Promise((r) => setTimeout(r, 1000));
    for (const s of [one, two]) {
      expect(new Set(xs(s.ids)).size).toBe(n);
      expect(xs(s.ids)).toHaveLength(n);
    }
  });
  it('kill -9 of kdp serve during a stream of 500 events on NATS, then a restart: every accepted event is delivered', { timeout: 90_000 }, async () => {
    nats = await startNatsServer();
    const args = ['--eventing-backend', nats.url];
    const s1 = await startServe({ extraArgs: args });
    const got = await sink();
    await kdpOk(s1.server, 'broker', 'create', 'b');
    await kdpOk(s1.server, 'trigger', 'create', 't', '--broker', 'b', '--sink', got.url);
    for (let i = 0; i < 200 && got.ids.length === 0; i++) {
      await post(s1, 'b', `warm-${String(i)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const accepted = new Set<string>();
    let serve = s1;
    let restart: Promise<void> | undefined;
    let next = 0;
    const total = 500;
    const producer = async (): Promise<void> => {
      while (next < total) {
        const id = `k-${String(next++)}`;
        for (;;) {
          const status = await post(serve, 'b', id).catch(() => 0);
          if (status === 202) {
            accepted.add(id);
            break;
          }
          await (restart ?? new Promise((r) => setTimeout(r, 50)));
        }
        if (restart === undefined && accepted.size >= 150) {
          s1.proc.kill('SIGKILL');
          restart = s1.proc.exited.then(async () => {
            serve = await startServe({ dataDir: s1.dataDir, routerPort: s1.routerPort, apiPort: s1.apiPort, extraArgs: args });
          });
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, producer));
    await restart;
    expect(accepted.size).toBe(total);
    await until(() => [...accepted].every((id) => got.ids.includes(id)), 60_000, 'every accepted event after the restart');
    const xs = got.ids.filter((i) => i.startsWith('k-'));
    console.log(`NATS kill -9 after 150 accepted: ${String(total)} accepted in all; every one delivered, ${String(xs.length - new Set(xs).size)} duplicates`);
  });
});
