import { describe, expect, it } from 'vitest';
import { endpointsView, slicesView } from './endpoints-view.js';

const meta = { name: 'r-private', namespace: 'ns' };
const sorted = (s: ReadonlySet<string>): string[] => [...s].sort();

describe('endpointsView (Knative endpointsToDests / healthyAddresses)', () => {
  it('takes ready and not-ready addresses of the port named http only, joining IPv6 in brackets', () => {
    const v = endpointsView({
      metadata: meta,
      subsets: [
        { addresses: [{ ip: '10.0.0.2' }, { ip: 'fd00::1' }], notReadyAddresses: [{ ip: '10.0.0.3' }], ports: [{ name: 'http', port: 8012 }, { name: 'http2', port: 8013 }] },
        { addresses: [{ ip: '10.0.0.9' }], ports: [{ name: 'https', port: 8112 }] },
      ],
    });
    expect(sorted(v.ready)).toEqual(['10.0.0.2:8012', '[fd00::1]:8012']);
    expect(sorted(v.notReady)).toEqual(['10.0.0.3:8012']);
    expect(sorted(v.readyIps)).toEqual(['10.0.0.2', 'fd00::1']);
  });

  it('no subsets: nothing', () => {
    const v = endpointsView({ metadata: meta });
    expect([v.ready.size, v.notReady.size, v.readyIps.size]).toEqual([0, 0, 0]);
  });
});

describe('slicesView', () => {
  it('merges slices; conditions.ready false is not ready, absent or null is ready; FQDN slices are skipped', () => {
    const v = slicesView([
      { metadata: { ...meta, name: 'a' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }, { addresses: ['10.0.0.2'], conditions: { ready: false } }], ports: [{ name: 'http', port: 8012 }] },
      { metadata: { ...meta, name: 'b' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.3'], conditions: {} }, { addresses: ['10.0.0.4'], conditions: { ready: null } }], ports: [{ name: 'http', port: 8012 }] },
      { metadata: { ...meta, name: 'c' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.5'] }], ports: [{ name: 'metrics', port: 9090 }] },
      { metadata: { ...meta, name: 'd' }, addressType: 'FQDN', endpoints: [{ addresses: ['x.example'] }], ports: [{ name: 'http', port: 80 }] },
    ]);
    expect(sorted(v.ready)).toEqual(['10.0.0.1:8012', '10.0.0.3:8012', '10.0.0.4:8012']);
    expect(sorted(v.notReady)).toEqual(['10.0.0.2:8012']);
  });
});
