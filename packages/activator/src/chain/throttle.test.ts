import { Upstream, createLogger } from '@kdp/core';
import { describe, expect, it } from 'vitest';
import { ColdStart } from '../cold-start.js';
import { RevisionStat } from '../reporter.js';
import type { RevisionEntry } from '../revisions.js';
import { RecordingExchange, RecordingStage } from '@kdp/core/http/recording-exchange.test-util';
import { testEntry } from './exchange.test-util.js';
import { ActivatorRequest } from './request.js';
import { ThrottleStage } from './throttle.js';

const OVERLOADED = ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff', 'X-Kdp-Error', 'overloaded', 'Retry-After', '1'];
const logger = createLogger({ name: 'throttle-test', level: 'silent' });

function setup(entry: RevisionEntry) {
  const pokes: string[] = [];
  const unreachable: string[] = [];
  const next = new RecordingStage();
  const stage = new ThrottleStage(
    {
      revisions: {
        podUnreachable: (key, podId) => {
          unreachable.push(`${key} ${podId}`);
          entry.throttler.removePod(podId);
        },
      },
      reporter: { poke: (s) => pokes.push(s.revKey) },
      logger,
      overloaded: OVERLOADED,
    },
    next,
  );
  const req = (arrivedAtMs = 0): ActivatorRequest => new ActivatorRequest(new RecordingExchange(), entry, new RevisionStat(entry.key, 0), arrivedAtMs);
  return { stage, next, pokes, unreachable, req };
}

const answers = (p: ActivatorRequest): unknown => (p.ex as RecordingExchange).answers;

describe('ThrottleStage', () => {
  it('passes a request on at once when a pod has a free slot, and frees the slot when it ends', () => {
    const { entry } = testEntry({ cc: 1, pods: 1 });
    const { stage, next, pokes, req } = setup(entry);
    const p = req();
    stage.serve(p);
    expect(next.served).toEqual([p]);
    expect(p.pod?.podId).toBe('pod-0');
    expect(entry.throttler.active).toBe(1);
    stage.finish(p, 'complete', 200, 1);
    expect(next.finished).toHaveLength(1);
    expect(entry.throttler.active).toBe(0);
    expect(pokes).toEqual([]);
  });

  it('buffers with no ready pod: one poke per cold episode, then the first request granted measures the first byte', () => {
    const { entry } = testEntry({ cc: 1 });
    const { stage, next, pokes, req } = setup(entry);
    const [a, b] = [req(10), req(20)];
    stage.serve(a);
    stage.serve(b);
    expect(next.served).toEqual([]);
    expect([a.buffered, b.buffered]).toEqual([true, true]);
    expect(pokes).toEqual(['ns/rev']);
    expect(entry.coldStart).toBeInstanceOf(ColdStart);
    // The pod is ready (Revisions hands the episode over as awaitingFirstByte, then adds the pod).
    entry.awaitingFirstByte = entry.coldStart;
    entry.throttler.addPod('pod-0', new Upstream({ host: '10.0.0.1', port: 8012, maxIdle: 1 }));
    expect(next.served).toEqual([a]);
    expect(a.cold).not.toBe(null);
    expect(entry.awaitingFirstByte).toBe(null);
    stage.finish(a, 'complete', 200, 50);
    expect(entry.lastColdStart).not.toBe(null);
    // a's slot went to b, which measures nothing.
    expect(next.served).toEqual([a, b]);
    expect(b.cold).toBe(null);
  });

  it('rejects beyond maxBuffered with 503 overloaded, Retry-After and the queue-full text', () => {
    const { entry } = testEntry({ cc: 1, maxBuffered: 1 });
    const { stage, next, req } = setup(entry);
    const [a, b] = [req(), req()];
    stage.serve(a);
    stage.serve(b);
    expect(answers(b)).toEqual([{ status: 503, headers: OVERLOADED, body: 'pending request queue full\n' }]);
    expect(answers(a)).toEqual([]);
    expect(next.served).toEqual([]);
  });

  it('a buffered request that ends leaves the queue; the last one to leave ends the cold episode', () => {
    const { entry } = testEntry({ cc: 1 });
    const { stage, req } = setup(entry);
    const [a, b] = [req(), req()];
    stage.serve(a);
    stage.serve(b);
    stage.finish(a, 'timeout', 504, 1);
    expect(entry.throttler.queued).toBe(1);
    expect(entry.coldStart).not.toBe(null);
    stage.finish(b, 'client-aborted', 0, 2);
    expect(entry.throttler.queued).toBe(0);
    expect(entry.coldStart).toBe(null);
  });

  it('answers 404 for a buffered request whose revision went away', () => {
    const { entry } = testEntry({ cc: 1 });
    const { stage, req } = setup(entry);
    const p = req();
    stage.serve(p);
    entry.throttler.close();
    expect(answers(p)).toEqual([
      {
        status: 404,
        headers: ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff', 'X-Kdp-Error', 'not-found'],
        body: 'Error getting active endpoint: revision.serving.knative.dev "rev" not found\n',
      },
    ]);
  });

  it('sends a request that never reached its pod once to another ready pod, and not a second time', () => {
    const { entry } = testEntry({ cc: 1, pods: 2 });
    const { stage, next, unreachable, req } = setup(entry);
    const p = req();
    stage.serve(p);
    const first = p.pod?.podId;
    expect(p.onUpstreamUnreachable('refused')).toBe(true);
    expect(unreachable).toEqual([`ns/rev ${String(first)}`]);
    expect(next.served).toEqual([p, p]);
    expect(p.pod?.podId).not.toBe(first);
    expect(p.onUpstreamUnreachable('refused')).toBe(false);
    stage.finish(p, 'complete', 200, 1);
    expect(entry.throttler.active).toBe(0);
  });

  it('leaves the 502 standing when no other pod is ready', () => {
    const { entry } = testEntry({ cc: 1, pods: 1 });
    const { stage, next, req } = setup(entry);
    const p = req();
    stage.serve(p);
    expect(p.onUpstreamUnreachable('app-unreachable')).toBe(false);
    expect(next.served).toEqual([p]);
  });
});
