import { Upstream } from '@kdp/core/http/upstream';
import { describe, expect, it } from 'vitest';
import { RecordingExchange } from '@kdp/core/http/recording-exchange.test-util';
import { QueueRequest } from './request.js';
import { EDITS, ReverseProxy } from './reverse-proxy.js';

const upstream = new Upstream({ host: '127.0.0.1', port: 8080, maxIdle: 1 });

describe('ReverseProxy', () => {
  it('forwards to the app with K-Original-Host as Host, the extra lines, and the Knative revision headers dropped', () => {
    const ex = new RecordingExchange();
    new ReverseProxy(upstream).serve(new QueueRequest(ex, false, 'orig.example', ['Forwarded', 'for=1.2.3.4'], false));
    expect(ex.forwards).toEqual([{ upstream, edits: EDITS, host: 'orig.example', extra: ['Forwarded', 'for=1.2.3.4'] }]);
    expect([...EDITS.drop].sort()).toEqual(['k-original-host', 'knative-serving-namespace', 'knative-serving-revision']);
    expect(EDITS.add).toEqual([]);
    expect(EDITS.appendXff).toBe(true);
    expect(ex.answers).toEqual([]);
  });

  it('bypass keeps the client Host', () => {
    const ex = new RecordingExchange({ 'K-Original-Host': 'orig.example' });
    new ReverseProxy(upstream).bypass(ex, undefined);
    expect(ex.forwards).toEqual([{ upstream, edits: EDITS, host: undefined, extra: undefined }]);
  });
});
