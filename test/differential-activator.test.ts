/**
 * The differential suite (issue 7) through the activator's hop: the same engine (fast path + fallback) as the
 * standalone activator wires it, with the activator's own handler (revision lookup from the Knative-Serving-*
 * headers, throttler with containerConcurrency 1, pod picking, its header edits) in front of a recording node:http
 * "pod" behind a tap (test/helpers/diff-hop.ts). Every framing input of the corpus that names the revision (each
 * `Host: h` line gets the Knative revision headers after it) is cut at every line edge and sent to node:http
 * directly and through the activator. (The in-process corpus run covers every input whole, cut and byte by byte;
 * this one is about the activator's handler in the path.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOP_INPUTS, expectSameAsNode, startHop, type HopEnv } from './helpers/diff-hop.js';

const ROUTE = 'Knative-Serving-Namespace: ns\r\nKnative-Serving-Revision: rev\r\n';

/** The corpus input with the revision named after every `Host: h` line (bodies use other hosts). */
function routed(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').split('Host: h\r\n').join(`Host: h\r\n${ROUTE}`), 'latin1');
}

describe('differential through the activator', () => {
  let hop: HopEnv | undefined;
  beforeAll(async () => {
    hop = await startHop('rev', (activator) => activator.handler, { routeHeaders: ROUTE });
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
