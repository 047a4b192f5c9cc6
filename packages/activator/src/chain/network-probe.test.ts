import { describe, expect, it } from 'vitest';
import { RecordingExchange } from '@kdp/core/http/recording-exchange.test-util';
import { networkProbeHandler } from './network-probe.js';

const BAD = ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff', 'X-Kdp-Error', 'bad-request'];

describe('networkProbeHandler', () => {
  it.each<[string, Record<string, string>, number, string[], string]>([
    ['KProbe', { 'K-Network-Probe': 'probe', 'K-Network-Hash': 'h1' }, 200, ['K-Network-Hash', 'h1'], ''],
    ['KProbe without a hash', { 'K-Network-Probe': 'probe' }, 400, BAD, 'a probe request must contain a non-empty "K-Network-Hash" header\n'],
  ])('%s: answered here', (_name, headers, status, answerHeaders, body) => {
    const passed: unknown[] = [];
    const handler = networkProbeHandler<void>((ex) => passed.push(ex));
    const ex = new RecordingExchange(headers);
    handler(ex);
    expect(ex.answers).toEqual([{ status, headers: answerHeaders, body }]);
    expect(passed).toEqual([]);
  });

  it.each<[string, Record<string, string>]>([
    ['no probe header', {}],
    ['another probe value', { 'K-Network-Probe': 'activator' }],
    ['a hash alone', { 'K-Network-Hash': 'h1' }],
  ])('%s: passed on', (_name, headers) => {
    const passed: unknown[] = [];
    const handler = networkProbeHandler<string>((ex, key) => passed.push([ex, key]));
    const ex = new RecordingExchange(headers);
    handler(ex, 'ns/rev');
    expect(passed).toEqual([[ex, 'ns/rev']]);
    expect(ex.answers).toEqual([]);
  });
});
