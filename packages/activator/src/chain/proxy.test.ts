import { describe, expect, it } from 'vitest';
import { RevisionStat } from '../reporter.js';
import { RecordingExchange } from '@kdp/core/http/recording-exchange.test-util';
import { testEntry } from './exchange.test-util.js';
import { EDITS_KEEP_ORIGINAL_HOST, EDITS_SET_ORIGINAL_HOST, ProxyStage } from './proxy.js';
import { ActivatorRequest } from './request.js';

function granted(headers: Record<string, string>): { p: ActivatorRequest; ex: RecordingExchange } {
  const { entry } = testEntry({ cc: 1, pods: 1 });
  const ex = new RecordingExchange(headers);
  const p = new ActivatorRequest(ex, entry, new RevisionStat(entry.key, 0), 0);
  expect(entry.throttler.acquire(p)).toBe('granted');
  return { p, ex };
}

describe('ProxyStage', () => {
  it("sends to the pod's queue-proxy with the pod as Host and the client's Host in K-Original-Host", () => {
    const { p, ex } = granted({ Host: 'hello.example.com' });
    new ProxyStage().serve(p);
    const upstream = p.pod?.upstream;
    expect(ex.forwards).toEqual([{ upstream, edits: EDITS_SET_ORIGINAL_HOST, host: '10.0.0.1:8012', extra: ['K-Original-Host', 'hello.example.com'] }]);
  });

  it('keeps a K-Original-Host the client already sent', () => {
    const { p, ex } = granted({ Host: 'hello.example.com', 'K-Original-Host': 'first.example.com' });
    new ProxyStage().serve(p);
    expect(ex.forwards).toEqual([{ upstream: p.pod?.upstream, edits: EDITS_KEEP_ORIGINAL_HOST, host: '10.0.0.1:8012', extra: undefined }]);
  });

  it('adds K-Proxy-Request: activator and drops the revision headers, K-Network-Hash and a client K-Proxy-Request', () => {
    for (const edits of [EDITS_KEEP_ORIGINAL_HOST, EDITS_SET_ORIGINAL_HOST]) {
      expect(edits.add).toEqual(['K-Proxy-Request', 'activator']);
      expect(edits.appendXff).toBe(true);
      expect([...edits.drop]).toEqual(expect.arrayContaining(['knative-serving-revision', 'knative-serving-namespace', 'k-network-hash', 'k-proxy-request']));
    }
    expect(EDITS_SET_ORIGINAL_HOST.drop.has('k-original-host')).toBe(true);
    expect(EDITS_KEEP_ORIGINAL_HOST.drop.has('k-original-host')).toBe(false);
  });
});
