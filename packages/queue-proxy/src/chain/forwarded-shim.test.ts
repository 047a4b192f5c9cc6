import { describe, expect, it } from 'vitest';
import type { Exchange, HeaderList } from '@kdp/core';
import { RecordingExchange } from '@kdp/core/http/recording-exchange.test-util';
import { forwardedShim } from './forwarded-shim.js';

describe('forwardedShim', () => {
  // forwarded_shim_test.go: built from X-Forwarded-* only when the client sent no Forwarded header.
  it.each<[string, Record<string, string>, HeaderList | undefined]>([
    ['no X-Forwarded-* headers', {}, undefined],
    ['X-Forwarded-For', { 'X-Forwarded-For': '10.0.0.1, 10.0.0.2' }, ['Forwarded', 'for=10.0.0.1, for=10.0.0.2']],
    [
      'all three, IPv6 quoted',
      { 'X-Forwarded-For': '2001:db8::1', 'X-Forwarded-Host': 'a.example', 'X-Forwarded-Proto': 'https' },
      ['Forwarded', 'for="[2001:db8::1]";host=a.example;proto=https'],
    ],
    ['client Forwarded kept as is', { Forwarded: 'for=1.2.3.4', 'X-Forwarded-For': '10.0.0.1' }, undefined],
  ])('%s', (_name, headers, want) => {
    const passed: [Exchange, HeaderList | undefined][] = [];
    const handler = forwardedShim((ex, extra) => passed.push([ex, extra]));
    const ex = new RecordingExchange(headers);
    handler(ex);
    expect(passed).toEqual([[ex, want]]);
    expect(ex.answers).toEqual([]);
  });
});
