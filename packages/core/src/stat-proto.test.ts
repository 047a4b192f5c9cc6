import { describe, expect, it } from 'vitest';
import { EMPTY_STAT, STAT_MAX_BYTES, StatDecodeError, decodeStat, encodeStat, type Stat } from './stat-proto.js';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A double as the 8 little-endian bytes of its IEEE 754 representation. */
function leDouble(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b.toString('hex');
}

describe('encodeStat', () => {
  it('encodes the empty Stat as zero bytes (proto3 omits zero values)', () => {
    expect(encodeStat({})).toHaveLength(0);
    expect(encodeStat(EMPTY_STAT)).toHaveLength(0);
  });

  it('encodes a Stat with only pod_name as 0a <len> <utf-8 bytes>', () => {
    expect(hex(encodeStat({ podName: 'pod-a' }))).toBe('0a05' + Buffer.from('pod-a').toString('hex'));
  });

  it.each([
    ['averageConcurrentRequests', '11'],
    ['averageProxiedConcurrentRequests', '19'],
    ['requestCount', '21'],
    ['proxiedRequestCount', '29'],
    ['processUptime', '31'],
  ] as const)('encodes %s as tag 0x%s and 8 little-endian bytes', (field, tag) => {
    expect(hex(encodeStat({ [field]: 1.5 }))).toBe(tag + leDouble(1.5));
    expect(hex(encodeStat({ [field]: 1.5 }))).toBe(tag + '000000000000f83f');
  });

  it('encodes timestamp (int64) as tag 0x38 and a varint', () => {
    expect(hex(encodeStat({ timestamp: 1 }))).toBe('3801');
    // 1_700_000_000 = 0x6553f100 → varint 80 e2 cf aa 06
    expect(hex(encodeStat({ timestamp: 1_700_000_000 }))).toBe('3880e2cfaa06');
  });

  it('writes the fields in ascending field order whatever the object key order', () => {
    const stat: Partial<Stat> = {
      timestamp: 2,
      processUptime: 6,
      proxiedRequestCount: 5,
      requestCount: 4,
      averageProxiedConcurrentRequests: 3,
      averageConcurrentRequests: 2,
      podName: 'p',
    };
    expect(hex(encodeStat(stat))).toBe(
      '0a0170' +
        '11' + leDouble(2) +
        '19' + leDouble(3) +
        '21' + leDouble(4) +
        '29' + leDouble(5) +
        '31' + leDouble(6) +
        '3802',
    );
  });

  it('leaves out zero and negative-zero doubles, as gogo does (`if m.X != 0`)', () => {
    expect(hex(encodeStat({ podName: 'p', averageConcurrentRequests: -0, requestCount: 0 }))).toBe('0a0170');
  });

  it('stays within the 336 bytes the autoscaler reads for a 253-character pod name and every field set', () => {
    const stat: Stat = {
      podName: 'a'.repeat(253),
      averageConcurrentRequests: 1.25,
      averageProxiedConcurrentRequests: 0.5,
      requestCount: 1000,
      proxiedRequestCount: 10,
      processUptime: 123456.789,
      timestamp: 1_700_000_000,
    };
    const bytes = encodeStat(stat);
    expect(STAT_MAX_BYTES).toBe(336);
    expect(bytes.length).toBeLessThanOrEqual(STAT_MAX_BYTES);
    // tag + 2-byte length + 253 (name), 5 × (tag + 8) (doubles), tag + 5-byte varint (timestamp)
    expect(bytes.length).toBe(307);
  });
});

describe('decodeStat', () => {
  it('round-trips every field', () => {
    const stat: Stat = {
      podName: 'hello-00001-deployment-6f7b9c-abcde',
      averageConcurrentRequests: 3.75,
      averageProxiedConcurrentRequests: 1.25,
      requestCount: 42,
      proxiedRequestCount: 7,
      processUptime: 61.5,
      timestamp: 1_700_000_123,
    };
    expect(decodeStat(encodeStat(stat))).toEqual(stat);
  });

  it('fills missing fields with zero values', () => {
    expect(decodeStat(new Uint8Array(0))).toEqual(EMPTY_STAT);
    expect(decodeStat(encodeStat({ requestCount: 3 }))).toEqual({ ...EMPTY_STAT, requestCount: 3 });
  });

  it('decodes bytes written by hand in the wire format', () => {
    const bytes = Buffer.from('0a03706f64' + '11' + leDouble(2.5) + '3805', 'hex');
    expect(decodeStat(bytes)).toEqual({ ...EMPTY_STAT, podName: 'pod', averageConcurrentRequests: 2.5, timestamp: 5 });
  });

  it('skips unknown fields (proto3 forward compatibility)', () => {
    // field 9, varint 1; then pod_name
    const bytes = Buffer.from('4801' + '0a0170', 'hex');
    expect(decodeStat(bytes)).toEqual({ ...EMPTY_STAT, podName: 'p' });
  });

  it.each([
    ['a truncated double', '11000000'],
    ['a string longer than the body', '0a0570'],
    ['a double field sent as a varint', '1101'],
    ['field number 0', '0001'],
  ])('throws StatDecodeError on %s', (_label, body) => {
    expect(() => decodeStat(Buffer.from(body, 'hex'))).toThrow(StatDecodeError);
    expect(() => decodeStat(new Uint8Array(Buffer.from(body, 'hex')))).toThrow(StatDecodeError);
  });
});
