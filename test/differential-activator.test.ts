/**
 * The differential suite (issue 7) through the activator's hop: the same engine (fast path + fallback) as the
 * standalone activator wires it, with the activator's own handler (revision lookup, throttler with
 * containerConcurrency 1, pod picking, its header edits) in front of a recording node:http "pod" behind a tap. Every
 * framing input of the corpus that names the revision (each `Host: h` line gets the Knative revision headers after
 * it) is cut at every line edge and sent to node:http directly and through the activator. (The in-process corpus
 * run covers every input whole, cut and byte by byte; this one is about the activator's handler in the path.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http1Engine, createFallbackEngine, createLogger } from '@kdp/core';
import type { Exchange, ExchangeHandler } from '@kdp/core';
import { createActivator, parseRevisionTable, revisionKey } from '@kdp/activator';
import { CORPUS } from '@kdp/core/http1/diff-corpus.test-util';
import { RecordingApp, Tap, describeVerdicts, runDirect, runKdp, splits } from '@kdp/core/http1/diff-harness.test-util';
import type { DiffEnv } from '@kdp/core/http1/diff-harness.test-util';

const ROUTE = 'Knative-Serving-Namespace: ns\r\nKnative-Serving-Revision: rev\r\n';

/** The corpus input with the revision named after every `Host: h` line (bodies use other hosts). */
function routed(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').split('Host: h\r\n').join(`Host: h\r\n${ROUTE}`), 'latin1');
}

describe('differential through the activator', () => {
  let env: DiffEnv;
  let stop: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    const direct = new RecordingApp(5000);
    const behind = new RecordingApp(5000);
    await Promise.all([direct.listen(), behind.listen()]);
    const tap = new Tap(behind.port);
    await tap.listen();
    const activator = createActivator({
      logger: createLogger({ name: 'diff-activator', level: 'silent' }),
      sink: { report: () => undefined, poke: () => undefined },
      registry: null,
      // The pod behind the tap is ready; a real probe would add its own requests to the tapped connections.
      probe: () => Promise.resolve(true),
      clusterDomain: 'cluster.local',
    });
    const [rev] = parseRevisionTable([{ namespace: 'ns', name: 'rev', containerConcurrency: 1, pods: [{ id: 'p1', address: `127.0.0.1:${String(tap.port)}` }] }]);
    if (rev === undefined) throw new Error('revision table');
    activator.revisions.upsert(rev);
    activator.revisions.podStarted(revisionKey('ns', 'rev'), 'p1', '127.0.0.1', tap.port);
    const accepted: { method: string; target: string }[] = [];
    const handler: ExchangeHandler = (ex: Exchange) => {
      accepted.push({ method: ex.method, target: ex.target });
      activator.handler(ex);
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
        routeHeaders: ROUTE,
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

  // Inputs whose Host line is itself the subject (missing, doubled, folded) or that have requests without one
  // (HTTP/1.0) would only test revision lookup; huge heads only the head limit, which the corpus run covers.
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
