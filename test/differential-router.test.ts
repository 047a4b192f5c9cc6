/**
 * The differential suite (issue 7) through the router's hop, as `kdp serve` wires it: the engine (fast path +
 * fallback) with the router's handler (host → route → exact split → revision) in front of the in-process activator
 * (revision lookup, throttler with containerConcurrency 1, pod picking) and a recording node:http "pod" behind a
 * tap. Every framing input of the corpus is sent with its `Host: h` lines naming the route, cut at every line edge,
 * to node:http directly and through the router. With test/differential-activator.test.ts (the activator's
 * standalone wiring), test/differential-queue-proxy.test.ts (the sidecar binary) and the in-process corpus run, every
 * proxy kdp has is covered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http1Engine, createFallbackEngine, createLogger } from '@kdp/core';
import type { Exchange, ExchangeHandler } from '@kdp/core';
import { createActivator, parseRevisionTable, revisionKey } from '@kdp/activator';
import { RouteTable, RouteTableRef } from '@kdp/router';
import { CORPUS } from '@kdp/core/http1/diff-corpus.test-util';
import { RecordingApp, Tap, describeVerdicts, runDirect, runKdp, splits } from '@kdp/core/http1/diff-harness.test-util';
import type { DiffEnv } from '@kdp/core/http1/diff-harness.test-util';
import { createRouterHandler } from '../packages/cli/src/platform/index.js';

const HOST = 'r.ns.example.com';

/** The corpus input with every `Host: h` naming the route (bodies use other hosts). */
function routed(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').split('Host: h\r\n').join(`Host: ${HOST}\r\n`), 'latin1');
}

describe('differential through the router', () => {
  let env: DiffEnv;
  let stop: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    const direct = new RecordingApp(5000);
    const behind = new RecordingApp(5000);
    await Promise.all([direct.listen(), behind.listen()]);
    const tap = new Tap(behind.port);
    await tap.listen();
    const activator = createActivator({
      logger: createLogger({ name: 'diff-router', level: 'silent' }),
      sink: { report: () => undefined, poke: () => undefined },
      registry: null,
      // The pod behind the tap is ready; a real probe would add its own requests to the tapped connections.
      probe: () => Promise.resolve(true),
      clusterDomain: 'cluster.local',
    });
    const [rev] = parseRevisionTable([{ namespace: 'ns', name: 'r-00001', containerConcurrency: 1, pods: [{ id: 'p1', address: `127.0.0.1:${String(tap.port)}` }] }]);
    if (rev === undefined) throw new Error('revision table');
    activator.revisions.upsert(rev);
    activator.revisions.podStarted(revisionKey('ns', 'r-00001'), 'p1', '127.0.0.1', tap.port);
    const routes = new RouteTableRef(
      RouteTable.build({ routes: [{ namespace: 'ns', name: 'r', split: [{ revisionName: 'r-00001', percent: 100 }] }], domain: 'example.com' }),
    );
    const router = createRouterHandler(routes, activator.handle);
    const accepted: { method: string; target: string }[] = [];
    const handler: ExchangeHandler = (ex: Exchange) => {
      accepted.push({ method: ex.method, target: ex.target });
      router(ex);
    };
    const engine = new Http1Engine({ handler, fallback: createFallbackEngine({ handler }) });
    const port = await engine.listen(0, '127.0.0.1');
    env = {
      direct,
      behind,
      tap,
      fixture: null,
      kdp: {
        port,
        pacing: 'immediate',
        freshHost: HOST,
        reset: () => {
          accepted.length = 0;
        },
        accepted: () => Promise.resolve([...accepted]),
      },
      close: () => Promise.resolve(),
    };
    stop = async () => {
      await engine.close(50);
      activator.drain();
      await tap.close();
      await Promise.all([direct.close(), behind.close()]);
    };
  }, 30_000);
  afterAll(() => stop());

  // As in the activator's run: inputs about the Host line itself, HTTP/1.0 without one, or huge heads test routing or
  // the head limit (covered by the in-process corpus run), not the router's hop.
  const inputs = CORPUS.filter(
    (e) => e.framing && e.group !== 'host' && e.group !== 'size' && !e.id.startsWith('version/http10') && e.raw.includes('Host: h\r\n'),
  );

  it('covers the framing inputs of the corpus', () => {
    expect(inputs.length).toBeGreaterThan(100);
  });

  it.each(inputs.map((e) => [e.id, e] as const))('%s', async (_id, entry) => {
    const raw = routed(entry.raw);
    const node = await runDirect(env, raw);
    const failures: string[] = [];
    let note = '';
    const cuts = splits(raw);
    for (const split of cuts.filter((s) => s.name === 'line-edges').concat(cuts.length === 1 ? cuts : [])) {
      const { verdict, failures: f } = await runKdp(env, split.segments, node, entry.framing);
      if (note === '') note = describeVerdicts(node, verdict);
      for (const x of f) failures.push(`[${split.name}] ${x.kind}: ${x.detail}`);
    }
    expect([...new Set(failures)], `${entry.id}: ${note}`).toEqual([]);
  }, 60_000);
});
