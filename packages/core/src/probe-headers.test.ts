import { describe, expect, it } from 'vitest';
import {
  KnativeHeader,
  KnativeHeaderCanonical,
  isHealthCheck,
  isKProbe,
  isKubeletProbe,
  isProbe,
  answerKProbe,
  type HeaderReader,
} from './probe-headers.js';

/** Headers as an engine would expose them: lookups by lower-case name only. */
function req(headers: Record<string, string>): HeaderReader {
  const m = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    header(lowerName: string): string | undefined {
      expect(lowerName).toBe(lowerName.toLowerCase());
      return m.get(lowerName);
    },
  };
}

type Row = [name: string, headers: Record<string, string>, health: boolean, kprobe: boolean, kubelet: boolean, probe: boolean];

// Columns: isHealthCheck, isKProbe, isKubeletProbe, isProbe (docs/contract/queue-proxy.md §2.2, drain_test.go#TestIsHealthcheckRequest,
// #TestIsKProbe, networking header_test.go#TestIsProbe / #TestIsKubeletProbe).
const rows: Row[] = [
  ['no headers', {}, false, false, false, false],
  ['kube-probe UA', { 'User-Agent': 'kube-probe/1.29' }, true, false, true, true],
  ['bare kube-probe/ prefix', { 'User-Agent': 'kube-probe/' }, true, false, true, true],
  ['kube-probe without slash', { 'User-Agent': 'kube-probe' }, false, false, false, false],
  ['UA prefix is case-sensitive', { 'User-Agent': 'Kube-Probe/1.29' }, false, false, false, false],
  ['prefix only at the start', { 'User-Agent': 'curl kube-probe/1.29' }, false, false, false, false],
  ['activator probe UA', { 'User-Agent': 'Knative-Activator-Probe' }, true, false, false, false],
  ['activator probe UA with suffix', { 'User-Agent': 'Knative-Activator-Probe/1.0' }, true, false, false, false],
  ['autoscaling probe UA', { 'User-Agent': 'Knative-Autoscaling-Probe' }, true, false, false, false],
  ['queue-proxy probe UA is not special', { 'User-Agent': 'Knative-Queue-Proxy-Probe' }, false, false, false, false],
  ['ingress probe UA is not special', { 'User-Agent': 'Knative-Ingress-Probe' }, false, false, false, false],
  ['K-Kubelet-Probe header', { 'K-Kubelet-Probe': 'queue' }, false, false, true, true],
  ['empty K-Kubelet-Probe', { 'K-Kubelet-Probe': '' }, false, false, false, false],
  ['K-Network-Probe: probe', { 'K-Network-Probe': 'probe' }, false, true, false, true],
  ['K-Network-Probe: queue', { 'K-Network-Probe': 'queue' }, false, false, false, true],
  ['K-Network-Probe: activator', { 'K-Network-Probe': 'activator' }, false, false, false, true],
  ['K-Network-Probe: Probe (exact match only)', { 'K-Network-Probe': 'Probe' }, false, false, false, true],
  ['empty K-Network-Probe', { 'K-Network-Probe': '' }, false, false, false, false],
  [
    'kube-probe UA with queue probe header',
    { 'User-Agent': 'kube-probe/1.29', 'K-Network-Probe': 'queue' },
    true,
    false,
    true,
    true,
  ],
  [
    'autoscaling UA with activator probe header',
    { 'User-Agent': 'Knative-Autoscaling-Probe', 'K-Network-Probe': 'activator' },
    true,
    false,
    false,
    true,
  ],
  ['ordinary request', { 'User-Agent': 'curl/8.0', 'K-Proxy-Request': 'activator' }, false, false, false, false],
];

describe('probe predicates', () => {
  it.each(rows)('%s', (_name, headers, health, kprobe, kubelet, probe) => {
    const r = req(headers);
    expect({
      isHealthCheck: isHealthCheck(r),
      isKProbe: isKProbe(r),
      isKubeletProbe: isKubeletProbe(r),
      isProbe: isProbe(r),
    }).toEqual({ isHealthCheck: health, isKProbe: kprobe, isKubeletProbe: kubelet, isProbe: probe });
  });
});

describe('header names', () => {
  it.each(Object.entries(KnativeHeader))('%s is the lower case of its canonical form', (key, lower) => {
    expect(lower).toBe(lower.toLowerCase());
    expect(KnativeHeaderCanonical[key as keyof typeof KnativeHeaderCanonical].toLowerCase()).toBe(lower);
  });
});

describe('answerKProbe', () => {
  type Answer = { status: number; headers: readonly string[]; body: string };
  const BAD = ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff', 'X-Kdp-Error', 'bad-request'];
  const HASH_MISSING = 'a probe request must contain a non-empty "K-Network-Hash" header\n';

  // drain_test.go#TestDrainerKProbe: the hash is echoed; a missing or empty one is a 400 with Knative's text.
  it.each<[string, Record<string, string>, Answer]>([
    ['hash echoed', { 'K-Network-Probe': 'probe', 'K-Network-Hash': 'abc123' }, { status: 200, headers: ['K-Network-Hash', 'abc123'], body: '' }],
    ['hash missing', { 'K-Network-Probe': 'probe' }, { status: 400, headers: BAD, body: HASH_MISSING }],
    ['hash empty', { 'K-Network-Probe': 'probe', 'K-Network-Hash': '' }, { status: 400, headers: BAD, body: HASH_MISSING }],
  ])('%s', (_name, headers, want) => {
    const answers: Answer[] = [];
    const r = req(headers);
    answerKProbe({ header: (n) => r.header(n), respond: (status, h, body) => answers.push({ status, headers: h, body }) });
    expect(answers).toEqual([want]);
  });
});
