/**
 * The differential suite (issue 7) through one of kdp's hops in process: the engine (fast path + fallback) as the
 * platform wires it, with a hop's handler built on a real activator (revision lookup, throttler with
 * containerConcurrency 1, pod picking) in front of a recording node:http "pod" behind a tap. Used by
 * test/differential-activator.test.ts and test/differential-router.test.ts.
 */
import { expect } from 'vitest';
import { Http1Engine, createFallbackEngine, createLogger } from '@kdp/core';
import type { Exchange, ExchangeHandler } from '@kdp/core';
import { createActivator, parseRevisionTable, revisionKey, type Activator } from '@kdp/activator';
import { CORPUS, type CorpusEntry } from '@kdp/core/http1/diff-corpus.test-util';
import { RecordingApp, Tap, describeVerdicts, runDirect, runKdp, splits } from '@kdp/core/http1/diff-harness.test-util';
import type { DiffEnv } from '@kdp/core/http1/diff-harness.test-util';

export interface HopEnv {
  readonly env: DiffEnv;
  readonly stop: () => Promise<void>;
}

/**
 * One revision `ns/<revision>` with one ready pod behind the tap; `hop` turns the activator into the handler under
 * test. `routeHeaders` / `freshHost` shape the harness's fresh-connection request so the hop can route it.
 */
export async function startHop(
  revision: string,
  hop: (activator: Activator) => ExchangeHandler,
  target: { routeHeaders?: string; freshHost?: string },
): Promise<HopEnv> {
  const direct = new RecordingApp(5000);
  const behind = new RecordingApp(5000);
  await Promise.all([direct.listen(), behind.listen()]);
  const tap = new Tap(behind.port);
  await tap.listen();
  const activator = createActivator({
    logger: createLogger({ name: 'diff-hop', level: 'silent' }),
    sink: { report: () => undefined, poke: () => undefined },
    registry: null,
    // The pod behind the tap is ready; a real probe would add its own requests to the tapped connections.
    probe: () => Promise.resolve(true),
    clusterDomain: 'cluster.local',
  });
  const [rev] = parseRevisionTable([{ namespace: 'ns', name: revision, containerConcurrency: 1, pods: [{ id: 'p1', address: `127.0.0.1:${String(tap.port)}` }] }]);
  if (rev === undefined) throw new Error('revision table');
  activator.revisions.upsert(rev);
  activator.revisions.podStarted(revisionKey('ns', revision), 'p1', '127.0.0.1', tap.port);
  const inner = hop(activator);
  const accepted: { method: string; target: string }[] = [];
  const handler: ExchangeHandler = (ex: Exchange) => {
    accepted.push({ method: ex.method, target: ex.target });
    inner(ex);
  };
  const engine = new Http1Engine({ handler, fallback: createFallbackEngine({ handler }) });
  const port = await engine.listen(0, '127.0.0.1');
  const env: DiffEnv = {
    direct,
    behind,
    tap,
    fixture: null,
    kdp: {
      port,
      pacing: 'immediate',
      ...target,
      reset: () => {
        accepted.length = 0;
      },
      accepted: () => Promise.resolve([...accepted]),
    },
    close: () => Promise.resolve(),
  };
  const stop = async (): Promise<void> => {
    await engine.close(50);
    activator.drain();
    await tap.close();
    await Promise.all([direct.close(), behind.close()]);
  };
  return { env, stop };
}

/**
 * The framing inputs that name their host `h`. Inputs about the Host line itself, HTTP/1.0 ones without a Host, or
 * huge heads test routing or the head limit (the in-process corpus run covers them), not a hop.
 */
export const HOP_INPUTS: readonly CorpusEntry[] = CORPUS.filter(
  (e) => e.framing && e.group !== 'host' && e.group !== 'size' && !e.id.startsWith('version/http10') && e.raw.includes('Host: h\r\n'),
);

/** Sends `raw` to node:http directly and, cut at every line edge, through the hop; expects no failed invariant. */
export async function expectSameAsNode(env: DiffEnv, entry: CorpusEntry, raw: Buffer): Promise<void> {
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
}
