import { describe, expect, it } from 'vitest';
import { drainHandler } from './drain.js';
import type { DrainState } from './drain.js';
import { RecordingExchange } from '@kdp/core/http/recording-exchange.test-util';
import type { Exchange } from '@kdp/core';

const TEXT_ERROR = (cause: string): string[] => [
  'Content-Type',
  'text/plain; charset=utf-8',
  'X-Content-Type-Options',
  'nosniff',
  'X-Kdp-Error',
  cause,
];

function setup(opts: { draining?: boolean; ready?: boolean } = {}) {
  const drain = { draining: opts.draining ?? false, touches: 0, touch(): void { this.touches++; } } satisfies DrainState & { touches: number };
  const passed: Exchange[] = [];
  let probes = 0;
  const handler = drainHandler(drain, { probe: (cb) => { probes++; cb(opts.ready ?? true); } }, (ex) => passed.push(ex));
  return { drain, passed, handler, probes: () => probes };
}

describe('drainHandler', () => {
  it.each<[string, Record<string, string>, { draining?: boolean; ready?: boolean }, number, string[], string]>([
    ['kubelet health check, ready', { 'User-Agent': 'kube-probe/1.29', 'K-Network-Probe': 'queue' }, {}, 200, ['Content-Type', 'text/plain; charset=utf-8'], 'queue'],
    ['activator health check, not ready', { 'User-Agent': 'Knative-Activator-Probe', 'K-Network-Probe': 'queue' }, { ready: false }, 503, ['X-Kdp-Error', 'not-ready'], ''],
    ['health check while draining', { 'User-Agent': 'kube-probe/1.29', 'K-Network-Probe': 'queue' }, { draining: true }, 503, TEXT_ERROR('draining'), 'shutting down\n'],
    ['health check with another probe value', { 'User-Agent': 'Knative-Autoscaling-Probe', 'K-Network-Probe': 'activator' }, {}, 400, TEXT_ERROR('bad-request'), 'unexpected probe header value: activator\n'],
    ['health check with no probe value', { 'User-Agent': 'kube-probe/1.29' }, {}, 400, TEXT_ERROR('bad-request'), 'unexpected probe header value: \n'],
    ['KProbe', { 'K-Network-Probe': 'probe', 'K-Network-Hash': 'h1' }, {}, 200, ['K-Network-Hash', 'h1'], ''],
    ['KProbe without a hash', { 'K-Network-Probe': 'probe' }, {}, 400, TEXT_ERROR('bad-request'), 'a probe request must contain a non-empty "K-Network-Hash" header\n'],
    ['KProbe while draining', { 'K-Network-Probe': 'probe', 'K-Network-Hash': 'h1' }, { draining: true }, 503, TEXT_ERROR('draining'), 'shutting down\n'],
  ])('%s: answered here, not passed on, quiet period untouched', (_name, headers, opts, status, answerHeaders, body) => {
    const s = setup(opts);
    const ex = new RecordingExchange(headers);
    s.handler(ex);
    expect(ex.answers).toEqual([{ status, headers: answerHeaders, body }]);
    expect(s.passed).toEqual([]);
    expect(s.drain.touches).toBe(0);
  });

  it('asks the readiness prober only for a well-formed health check', () => {
    const s = setup();
    s.handler(new RecordingExchange({ 'User-Agent': 'kube-probe/1.29', 'K-Network-Probe': 'queue' }));
    s.handler(new RecordingExchange({ 'User-Agent': 'kube-probe/1.29', 'K-Network-Probe': 'x' }));
    expect(s.probes()).toBe(1);
  });

  it.each<[string, Record<string, string>]>([
    ['a user request', {}],
    ['a K-Network-Probe other than probe, without a health-check UA', { 'K-Network-Probe': 'queue' }],
    ['a kubelet probe by header only (K-Kubelet-Probe is not a health check here)', { 'K-Kubelet-Probe': 'true' }],
  ])('%s: resets the quiet period and is passed on unanswered, even while draining', (_name, headers) => {
    const s = setup({ draining: true });
    const ex = new RecordingExchange(headers);
    s.handler(ex);
    expect(s.passed).toEqual([ex]);
    expect(ex.answers).toEqual([]);
    expect(s.drain.touches).toBe(1);
  });
});
