import { describe, expect, it } from 'vitest';
import { RecordingExchange } from '@kdp/core/http/recording-exchange.test-util';
import { probeHandler } from './probe.js';

const BAD = ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff', 'X-Kdp-Error', 'bad-request'];

describe('probeHandler', () => {
  it.each<[string, string, number, string[], string]>([
    ['the autoscaler probing the activator', 'activator', 200, ['Content-Type', 'text/plain; charset=utf-8'], 'activator'],
    ['a value it does not answer, quoted as Go %q', 'queue', 400, BAD, 'unexpected probe header value: "queue"\n'],
    ['a KProbe that got here', 'probe', 400, BAD, 'unexpected probe header value: "probe"\n'],
  ])('%s: answered here', (_name, value, status, answerHeaders, body) => {
    const passed: unknown[] = [];
    const handler = probeHandler<void>((ex) => passed.push(ex));
    const ex = new RecordingExchange({ 'K-Network-Probe': value });
    handler(ex);
    expect(ex.answers).toEqual([{ status, headers: answerHeaders, body }]);
    expect(passed).toEqual([]);
  });

  it.each<[string, Record<string, string>]>([
    ['no header', {}],
    ['an empty header', { 'K-Network-Probe': '' }],
  ])('%s: passed on with its key', (_name, headers) => {
    const passed: unknown[] = [];
    const handler = probeHandler<string>((ex, key) => passed.push([ex, key]));
    const ex = new RecordingExchange(headers);
    handler(ex, 'ns/rev');
    expect(passed).toEqual([[ex, 'ns/rev']]);
    expect(ex.answers).toEqual([]);
  });
});
