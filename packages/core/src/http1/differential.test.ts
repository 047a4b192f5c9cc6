/**
 * Differential suite (issue 7): every corpus input, whole and cut into TCP segments at interesting bytes, sent to
 * node:http directly and through kdp; see diff-harness.test-util.ts for the invariants. The line-edge cuts run with
 * a handler that forwards 5 ms late (the activator's buffering path); the others forward at once. Set KDP_DIFF_TABLE=<file>
 * to also write the verdict table (node:http vs kdp, per input) as Markdown.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS } from './diff-corpus.test-util.js';
import { describeVerdicts, runDirect, runKdp, splits, startDiffEnv } from './diff-harness.test-util.js';
import type { Failure, KdpVerdict, NodeVerdict } from './diff-harness.test-util.js';

interface Row {
  readonly id: string;
  readonly node: NodeVerdict;
  readonly kdp: KdpVerdict;
  readonly kinds: string[];
}
const rows: Row[] = [];

afterAll(() => {
  const out = process.env['KDP_DIFF_TABLE'];
  if (out === undefined || out === '') return;
  rows.sort((a, b) => a.id.localeCompare(b.id));
  const fmt = (s: number[], closed: boolean, n: number): string => `${s.join(',') || '—'} ${closed ? 'close' : 'open'} (${String(n)})`;
  const lines = [
    '| input | node:http: statuses, connection (requests accepted) | kdp, whole input: statuses, connection (requests handled) | failed invariants (any split) |',
    '|---|---|---|---|',
    ...rows.map((r) => `| \`${r.id}\` | ${fmt(r.node.statuses, r.node.closed, r.node.accepted.length)} | ${fmt(r.kdp.statuses, r.kdp.closed, r.kdp.handled)} | ${r.kinds.join(', ') || 'ok'} |`),
  ];
  writeFileSync(out, `${lines.join('\n')}\n`);
});

describe.concurrent('differential: node:http directly vs through kdp', () => {
  it('has at least 150 inputs', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(150);
  });

  it.each(CORPUS.map((e) => [e.id, e] as const))('%s', async (_id, entry) => {
    const env = await startDiffEnv();
    try {
      const node = await runDirect(env, entry.raw);
      const failures: string[] = [];
      const kinds = new Set<string>();
      let whole: KdpVerdict | null = null;
      for (const split of splits(entry.raw)) {
        // Cut inputs also run with a handler that forwards a little later (as the activator does when it
        // buffers), so body and pipelined bytes arrive while the exchange is still pending.
        const deferred = split.name === 'line-edges';
        if (env.fixture !== null) env.fixture.deferForwardMs = deferred ? 5 : 0;
        const { verdict, failures: f } = await runKdp(env, split.segments, node, entry.framing);
        whole ??= verdict;
        for (const x of dedupe(f)) {
          kinds.add(x.kind);
          failures.push(`[${split.name}${deferred ? ', deferred forward' : ''}] ${x.kind}: ${x.detail}`);
        }
      }
      if (whole !== null) rows.push({ id: entry.id, node, kdp: whole, kinds: [...kinds] });
      expect(failures, `${entry.id}: ${whole === null ? '' : describeVerdicts(node, whole)}`).toEqual([]);
    } finally {
      await env.close();
    }
  }, 60_000);
});

function dedupe(f: Failure[]): Failure[] {
  const seen = new Set<string>();
  return f.filter((x) => {
    const k = `${x.kind}:${x.detail}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
