import { describe, expect, it } from 'vitest';
import { revisionIdOf } from './revision-id.js';

const req = (headers: Record<string, string>) => ({ header: (n: string) => headers[n] });

describe('revisionIdOf (Knative context_handler.go)', () => {
  it.each([
    { name: 'headers win', h: { 'knative-serving-namespace': 'ns', 'knative-serving-revision': 'r', host: 'x.y.svc.cluster.local' }, want: ['ns', 'r'] },
    { name: 'host fallback', h: { host: 'rev1.ns1.svc.cluster.local' }, want: ['ns1', 'rev1'] },
    { name: 'host fallback with port', h: { host: 'rev1.ns1.svc.cluster.local:80' }, want: ['ns1', 'rev1'] },
    { name: 'host with another domain', h: { host: 'rev1.ns1.svc.example.com' }, want: ['', ''] },
    { name: 'host without svc', h: { host: 'rev1.ns1.foo.cluster.local' }, want: ['', ''] },
    { name: 'short host', h: { host: 'rev1.ns1.svc' }, want: ['', ''] },
    { name: 'only one header: host decides', h: { 'knative-serving-revision': 'r', host: 'rev1.ns1.svc.cluster.local' }, want: ['ns1', 'rev1'] },
    { name: 'only one header, no host match: the header values', h: { 'knative-serving-revision': 'r', host: 'example.com' }, want: ['', 'r'] },
    { name: 'nothing', h: {}, want: ['', ''] },
  ])('$name', ({ h, want }) => {
    const id = revisionIdOf(req(h), 'cluster.local');
    expect([id.namespace, id.name]).toEqual(want);
  });

  it('uses the configured cluster domain', () => {
    expect(revisionIdOf(req({ host: 'r.n.svc.corp.internal' }), 'corp.internal')).toEqual({ namespace: 'n', name: 'r' });
  });
});
