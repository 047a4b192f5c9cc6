import { describe, expect, it } from 'vitest';
import type { Exchange } from '@kdp/core';
import { RecordingExchange } from '@kdp/core/http/recording-exchange.test-util';
import { healthHandler } from './health.js';

const DRAINING = ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff', 'X-Kdp-Error', 'draining'];

describe('healthHandler', () => {
  it.each<[string, Record<string, string>, boolean, number, string[], string]>([
    ['kube-probe UA', { 'User-Agent': 'kube-probe/1.29' }, false, 200, [], ''],
    ['K-Kubelet-Probe header', { 'K-Kubelet-Probe': 'true' }, false, 200, [], ''],
    ['kube-probe UA while draining', { 'User-Agent': 'kube-probe/1.29' }, true, 503, DRAINING, 'shutting down\n'],
  ])('%s: answered here', (_name, headers, draining, status, answerHeaders, body) => {
    const passed: unknown[] = [];
    const handler = healthHandler<string>({ draining }, (ex, key) => passed.push([ex, key]));
    const ex = new RecordingExchange(headers);
    handler(ex, 'ns/rev');
    expect(ex.answers).toEqual([{ status, headers: answerHeaders, body }]);
    expect(passed).toEqual([]);
  });

  it.each<[string, Record<string, string>]>([
    ['a user request', {}],
    ['an activator probe user agent (not a kubelet probe)', { 'User-Agent': 'Knative-Activator-Probe' }],
    ['an empty K-Kubelet-Probe', { 'K-Kubelet-Probe': '' }],
  ])('%s: passed on with its key, even while draining', (_name, headers) => {
    const passed: [Exchange, string][] = [];
    const handler = healthHandler<string>({ draining: true }, (ex, key) => passed.push([ex, key]));
    const ex = new RecordingExchange(headers);
    handler(ex, 'ns/rev');
    expect(passed).toEqual([[ex, 'ns/rev']]);
    expect(ex.answers).toEqual([]);
  });
});
