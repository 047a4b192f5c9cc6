/**
 * The differential suite (issue 7) through the router's hop, as `kdp serve` wires it: the engine (fast path +
 * fallback) with the router's handler (host → route → exact split → revision) in front of the in-process activator
 * and a recording node:http "pod" behind a tap (test/helpers/diff-hop.ts). Every framing input of the corpus is sent
 * with its `Host: h` lines naming the route, cut at every line edge, to node:http directly and through the router.
 * With test/differential-activator.test.ts (the activator's standalone wiring), test/differential-queue-proxy.test.ts
 * (the sidecar binary) and the in-process corpus run, every proxy kdp has is covered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouterHandler, RouteTable, RouteTableRef } from '@kdp/router';
import { HOP_INPUTS, expectSameAsNode, startHop, type HopEnv } from './helpers/diff-hop.js';

const HOST = 'r.ns.example.com';

/** The corpus input with every `Host: h` naming the route (bodies use other hosts). */
function routed(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').split('Host: h\r\n').join(`Host: ${HOST}\r\n`), 'latin1');
}

describe('differential through the router', () => {
  let hop: HopEnv | undefined;
  beforeAll(async () => {
    const routes = new RouteTableRef(
      RouteTable.build({ routes: [{ namespace: 'ns', name: 'r', split: [{ revisionName: 'r-00001', percent: 100 }] }], domain: 'example.com' }),
    );
    hop = await startHop('r-00001', (activator) => createRouterHandler(routes, activator.handle), { freshHost: HOST });
  }, 30_000);
  afterAll(() => hop?.stop());

  it('covers the framing inputs of the corpus', () => {
    expect(HOP_INPUTS.length).toBeGreaterThan(100);
  });

  it.each(HOP_INPUTS.map((e) => [e.id, e] as const))('%s', async (_id, entry) => {
    if (hop === undefined) throw new Error('no hop');
    await expectSameAsNode(hop.env, entry, routed(entry.raw));
  }, 60_000);
});
