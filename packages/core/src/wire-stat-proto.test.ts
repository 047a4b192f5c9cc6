import { describe, expect, it } from 'vitest';
import { decodeWireStatMessages, encodeWireStatMessages } from './wire-stat-proto.js';

describe('WireStatMessages', () => {
  it('encodes with stat.proto field numbers, byte for byte as gogo marshals the activator poke', () => {
    // WireStatMessages{messages: [{namespace: "ns", name: "r", stat: {pod_name: "a", average_concurrent_requests: 1, request_count: 1}}]}
    const bytes = encodeWireStatMessages([{ namespace: 'ns', name: 'r', stat: { podName: 'a', averageConcurrentRequests: 1, requestCount: 1 } }]);
    const stat = [0x0a, 0x01, 0x61, 0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x21, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f];
    const msg = [0x0a, 0x02, 0x6e, 0x73, 0x12, 0x01, 0x72, 0x1a, stat.length, ...stat];
    expect([...bytes]).toEqual([0x0a, msg.length, ...msg]);
  });

  it('round-trips a batch, keeping an all-zero stat as an empty embedded message', () => {
    const batch = [
      { namespace: 'default', name: 'hello-00001', stat: { podName: 'activator-x', averageConcurrentRequests: 2.5, requestCount: 7 } },
      { namespace: 'default', name: 'idle', stat: {} },
    ];
    const decoded = decodeWireStatMessages(encodeWireStatMessages(batch));
    expect(decoded.map((m) => [m.namespace, m.name, m.stat.podName, m.stat.averageConcurrentRequests, m.stat.requestCount])).toEqual([
      ['default', 'hello-00001', 'activator-x', 2.5, 7],
      ['default', 'idle', '', 0, 0],
    ]);
    expect(encodeWireStatMessages([])).toHaveLength(0);
  });

  it('rejects a truncated batch', () => {
    const bytes = encodeWireStatMessages([{ namespace: 'ns', name: 'r', stat: { requestCount: 1 } }]);
    expect(() => decodeWireStatMessages(bytes.subarray(0, bytes.length - 3))).toThrow(/unmarshalling/);
  });
});
