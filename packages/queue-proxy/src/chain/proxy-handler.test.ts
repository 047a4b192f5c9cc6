import { Upstream } from '@kdp/core/http/upstream';
import { describe, expect, it } from 'vitest';
import { RecordingExchange, RecordingStage } from '@kdp/core/http/recording-exchange.test-util';
import { proxyHandler } from './proxy-handler.js';
import { QueueRequest } from './request.js';
import { EDITS, ReverseProxy } from './reverse-proxy.js';

const upstream = new Upstream({ host: '127.0.0.1', port: 8080, maxIdle: 1 });

function setup() {
  const next = new RecordingStage();
  return { next, handler: proxyHandler(next, new ReverseProxy(upstream)) };
}

describe('proxyHandler', () => {
  it('sends a K-Kubelet-Probe request straight to the app: no record, nothing passed on, client Host kept', () => {
    const { next, handler } = setup();
    const ex = new RecordingExchange({ 'K-Kubelet-Probe': 'queue', 'K-Original-Host': 'orig.example' });
    handler(ex, ['Forwarded', 'for=a']);
    expect(ex.forwards).toEqual([{ upstream, edits: EDITS, host: undefined, extra: ['Forwarded', 'for=a'] }]);
    expect(next.served).toEqual([]);
    expect(ex.state).toBe(null);
    expect(ex.onFinish).toBe(null);
  });

  it.each<[string, Record<string, string>, { proxied: boolean; host: string | undefined; probe: boolean }]>([
    ['a plain request', {}, { proxied: false, host: undefined, probe: false }],
    ['from the activator, with K-Original-Host', { 'K-Proxy-Request': 'activator', 'K-Original-Host': 'h.example' }, { proxied: true, host: 'h.example', probe: false }],
    ['an empty K-Original-Host and K-Kubelet-Probe', { 'K-Original-Host': '', 'K-Kubelet-Probe': '' }, { proxied: false, host: undefined, probe: false }],
    ['another K-Proxy-Request value', { 'K-Proxy-Request': 'ingress' }, { proxied: false, host: undefined, probe: false }],
    ['a K-Network-Probe value', { 'K-Network-Probe': 'queue' }, { proxied: false, host: undefined, probe: true }],
  ])('%s: one record in Exchange.state, passed on', (_name, headers, want) => {
    const { next, handler } = setup();
    const ex = new RecordingExchange(headers);
    handler(ex, undefined);
    const p = ex.state as QueueRequest;
    expect(p).toBeInstanceOf(QueueRequest);
    expect({ proxied: p.proxied, host: p.host, probe: p.probe }).toEqual(want);
    expect(p.ex).toBe(ex);
    expect(next.served).toEqual([p]);
    expect(ex.forwards).toEqual([]);
  });

  it('ends the record through the stages once, with the outcome, the status and a time', () => {
    const { next, handler } = setup();
    const ex = new RecordingExchange();
    handler(ex, ['Forwarded', 'for=a']);
    expect((ex.state as QueueRequest).extra).toEqual(['Forwarded', 'for=a']);
    ex.end('upstream-error', 502);
    expect(next.finished).toHaveLength(1);
    expect(next.finished[0]).toMatchObject({ p: ex.state, outcome: 'upstream-error', status: 502 });
    expect(next.finished[0]?.now).toBeGreaterThan(0);
  });

  it('shares one onFinish between requests', () => {
    const { handler } = setup();
    const a = new RecordingExchange();
    const b = new RecordingExchange();
    handler(a, undefined);
    handler(b, undefined);
    expect(a.onFinish).not.toBe(null);
    expect(a.onFinish).toBe(b.onFinish);
  });
});
