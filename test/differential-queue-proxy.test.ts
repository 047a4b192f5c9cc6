/**
 * The differential suite (issue 7) once through the real kdp-queue-proxy binary: a subset of the corpus, whole and
 * cut at every line edge, sent to node:http directly and through the spawned queue-proxy (its own process, its
 * Knative environment, its handler chain) in front of a recording node:http app behind a tap. The requests the
 * queue-proxy accepted are read from its request log (KDP_REQUEST_LOG), one line per finished request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS } from '@kdp/core/http1/diff-corpus.test-util';
import { RecordingApp, Tap, describeVerdicts, runDirect, runKdp, splits } from '@kdp/core/http1/diff-harness.test-util';
import type { DiffEnv, KdpTarget } from '@kdp/core/http1/diff-harness.test-util';
import { killAll, startQueueProxy } from './helpers/process.js';
import type { QueueProxyProc } from './helpers/process.js';

const IDS = [
  'baseline/get-pipelined-3',
  'baseline/post-cl-then-get',
  'baseline/post-chunked-then-get',
  'connection/names-content-length',
  'connection/names-transfer-encoding',
  'eol/bare-lf-everywhere',
  'eol/bare-lf-end-only',
  'cl-te/cl-then-te',
  'cl-te/duplicate-identical-cl',
  'cl-te/cl-body-is-a-request',
  'te/identity-chunked',
  'te/chunked-trailing-tab',
  'chunk-size/space-after',
  'chunk-size/ext-ctl',
  'chunk-end/end-bare-lf',
  'trailer/no-colon',
  'trailer/content-length',
  'target/no-leading-slash',
  'target/raw-utf8',
  'version/http10-post-keepalive-pair',
  'method/unknown',
  'size/head-17k',
];

/** The queue-proxy as a KdpTarget: accepted requests come from its request log lines on stdout. */
function binaryTarget(qp: QueueProxyProc): KdpTarget {
  let from = 0;
  const logged = (): { method: string; target: string }[] =>
    qp.stdout
      .slice(from)
      .split('\n')
      .flatMap((l) => {
        try {
          const o = JSON.parse(l) as { msg?: string; method?: string; target?: string };
          return o.msg === 'request' ? [{ method: o.method ?? '', target: o.target ?? '' }] : [];
        } catch {
          return [];
        }
      });
  return {
    port: qp.ports.serving,
    pacing: 'timer',
    reset() {
      from = qp.stdout.length;
    },
    async accepted(atLeast) {
      // A request is logged when it finishes, just after its response: wait for that many lines, bounded.
      if (logged().length < atLeast) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, 1000);
          const check = (): void => {
            if (logged().length >= atLeast) done();
          };
          function done(): void {
            clearTimeout(t);
            qp.child.stdout.off('data', check);
            resolve();
          }
          qp.child.stdout.on('data', check);
        });
      }
      return logged();
    },
  };
}

describe('differential through the kdp-queue-proxy binary', () => {
  let env: DiffEnv;
  let stop: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    const direct = new RecordingApp(5000);
    const behind = new RecordingApp(5000);
    await Promise.all([direct.listen(), behind.listen()]);
    const tap = new Tap(behind.port);
    await tap.listen();
    const qp = await startQueueProxy(tap.port, { KDP_REQUEST_LOG: 'true' });
    env = {
      direct,
      behind,
      tap,
      kdp: binaryTarget(qp),
      fixture: null,
      close: () => Promise.resolve(),
    };
    stop = async () => {
      await killAll();
      await tap.close();
      await Promise.all([direct.close(), behind.close()]);
    };
  }, 30_000);
  afterAll(() => stop());

  it('finds every chosen input in the corpus', () => {
    expect(IDS.filter((id) => !CORPUS.some((e) => e.id === id))).toEqual([]);
  });

  it.each(CORPUS.filter((e) => IDS.includes(e.id)).map((e) => [e.id, e] as const))('%s', async (_id, entry) => {
    const node = await runDirect(env, entry.raw);
    const failures: string[] = [];
    let note = '';
    for (const split of splits(entry.raw).filter((s) => s.name !== 'bytewise')) {
      const { verdict, failures: f } = await runKdp(env, split.segments, node, entry.framing);
      if (note === '') note = describeVerdicts(node, verdict);
      for (const x of f) failures.push(`[${split.name}] ${x.kind}: ${x.detail}`);
    }
    expect([...new Set(failures)], `${entry.id}: ${note}`).toEqual([]);
  }, 60_000);
});
