import { ConfigError } from '@kdp/core';
import { describe, expect, it } from 'vitest';
import { clusterDomainFromResolvConf, parseConfig } from './config.js';
import { parseRevisionTable, splitHostPort } from './revision-table.js';

const TABLE = JSON.stringify([
  { namespace: 'default', name: 'hello-00001', containerConcurrency: 0, pods: [{ id: 'p1', address: '10.0.0.7:8012' }] },
]);
const noFiles = { readFile: (p: string): string => { throw new Error(`ENOENT: ${p}`); } };

function problems(env: NodeJS.ProcessEnv, sources = noFiles): readonly string[] {
  try {
    parseConfig(env, sources);
  } catch (e) {
    if (e instanceof ConfigError) return e.lines;
    throw e;
  }
  return [];
}

describe('parseConfig', () => {
  it('has Knative defaults and a frozen result', () => {
    const c = parseConfig({ KDP_ACTIVATOR_REVISIONS: TABLE, POD_NAME: 'act-1' }, noFiles);
    expect(c).toMatchObject({
      port: 8012,
      metricsPort: 9090,
      bindHost: '0.0.0.0',
      clusterDomain: 'cluster.local',
      maxBuffered: 10_000,
      probeIntervalMs: 50,
      probeTimeoutMs: 300,
      probeGiveUpMs: 60_000,
      drainMs: 45_000,
      shutdownGraceMs: 600_000,
      logLevel: 'info',
      podName: 'act-1',
    });
    expect(c.revisions[0]).toMatchObject({ namespace: 'default', name: 'hello-00001', timeoutSeconds: 300 });
    expect(c.revisions[0]?.pods).toEqual([{ id: 'p1', host: '10.0.0.7', port: 8012 }]);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    { name: 'CLUSTER_DOMAIN wins', env: { CLUSTER_DOMAIN: 'corp.local' }, resolv: 'search ns.svc.other.local svc.other.local', want: 'corp.local' },
    { name: 'resolv.conf search svc.<domain>', env: {}, resolv: 'nameserver 10.0.0.10\nsearch ns.svc.k.example svc.k.example. k.example\n', want: 'k.example' },
    { name: 'no resolv.conf: cluster.local', env: {}, resolv: null, want: 'cluster.local' },
  ])('cluster domain: $name', ({ env, resolv, want }) => {
    const readFile = (p: string): string => {
      if (p === '/etc/resolv.conf' && resolv !== null) return resolv;
      throw new Error('ENOENT');
    };
    expect(parseConfig({ KDP_ACTIVATOR_REVISIONS: TABLE, ...env }, { readFile }).clusterDomain).toBe(want);
  });

  it('reads the table from a file', () => {
    const readFile = (p: string): string => {
      if (p === '/etc/kdp/revisions.json') return TABLE;
      throw new Error('ENOENT');
    };
    const c = parseConfig({ KDP_ACTIVATOR_REVISIONS_FILE: '/etc/kdp/revisions.json' }, { readFile });
    expect(c.revisions.map((r) => r.name)).toEqual(['hello-00001']);
  });

  it('reports every problem at once', () => {
    expect(
      problems({
        KDP_ACTIVATOR_PORT: '70000',
        KDP_ACTIVATOR_MAX_BUFFERED: '0',
        KDP_ACTIVATOR_PROBE_INTERVAL_MS: 'soon',
        KDP_ACTIVATOR_LOG_LEVEL: 'loud',
        KDP_ACTIVATOR_REVISIONS: TABLE,
      }),
    ).toEqual([
      'KDP_ACTIVATOR_PORT: must be <= 65535, got 70000',
      'KDP_ACTIVATOR_MAX_BUFFERED: must be >= 1, got 0',
      'KDP_ACTIVATOR_PROBE_INTERVAL_MS: invalid integer: "soon"',
      'KDP_ACTIVATOR_LOG_LEVEL: unknown level "loud"',
    ]);
  });

  it('without a table: cluster mode, and every missing piece of Knative\'s Deployment environment is one line', () => {
    const p = problems({ KDP_AUTOSCALER_URL: 'http://x', POD_IP: 'ten' });
    expect(p).toEqual([
      expect.stringMatching(/^POD_NAME: required in cluster mode/),
      'POD_IP: not an IP address: "ten"',
      expect.stringMatching(/^SYSTEM_NAMESPACE: required in cluster mode/),
      'KDP_AUTOSCALER_URL: want a ws:// or wss:// URL, got "http://x"',
      expect.stringMatching(/^KUBERNETES_SERVICE_HOST: not set \(not in a cluster\) and no kubeconfig at .*; set KUBECONFIG$/),
    ]);
  });

  it('cluster mode from Knative\'s Deployment environment and a kubeconfig', () => {
    const kubeconfig = [
      'current-context: c',
      'contexts: [{name: c, context: {cluster: k, user: u}}]',
      'clusters: [{name: k, cluster: {server: "https://api:6443"}}]',
      'users: [{name: u, user: {token: t}}]',
    ].join('\n');
    const c = parseConfig(
      { POD_NAME: 'activator-1', POD_IP: '10.1.2.3', SYSTEM_NAMESPACE: 'knative-serving', KUBECONFIG: '/kc', CLUSTER_DOMAIN: 'example.org' },
      { readFile: (p) => (p === '/kc' ? kubeconfig : noFiles.readFile(p)) },
    );
    expect(c.revisions).toEqual([]);
    expect(c.h2cPort).toBe(8013);
    expect(c.kubernetes).toMatchObject({
      podIp: '10.1.2.3',
      systemNamespace: 'knative-serving',
      autoscalerUrl: 'ws://autoscaler.knative-serving.svc.example.org:8080',
      loggingConfigMap: 'config-logging',
      connection: { server: 'https://api:6443', token: 't', source: 'kubeconfig' },
    });
    const over = parseConfig(
      { POD_NAME: 'a', POD_IP: '::1', SYSTEM_NAMESPACE: 'ks', KUBECONFIG: '/kc', KDP_AUTOSCALER_URL: 'ws://127.0.0.1:1234', KDP_ACTIVATOR_H2C_PORT: '0' },
      { readFile: (p) => (p === '/kc' ? kubeconfig : noFiles.readFile(p)) },
    );
    expect(over.kubernetes?.autoscalerUrl).toBe('ws://127.0.0.1:1234');
    expect(over.h2cPort).toBe(0);
  });

  it.each([
    { name: 'both sources', env: { KDP_ACTIVATOR_REVISIONS: TABLE, KDP_ACTIVATOR_REVISIONS_FILE: '/x' }, want: /set together/ },
    { name: 'unreadable file', env: { KDP_ACTIVATOR_REVISIONS_FILE: '/missing.json' }, want: /cannot read \/missing.json/ },
    { name: 'bad JSON', env: { KDP_ACTIVATOR_REVISIONS: '[{' }, want: /invalid JSON/ },
    { name: 'not an array', env: { KDP_ACTIVATOR_REVISIONS: '{}' }, want: /want a JSON array/ },
  ])('revision source problem: $name', ({ env, want }) => {
    const p = problems(env);
    expect(p.length).toBe(1);
    expect(p[0]).toMatch(want);
  });
});

describe('parseRevisionTable', () => {
  it('lists every problem of the table', () => {
    expect(() =>
      parseRevisionTable([
        { namespace: 'a', name: 'r', containerConcurrency: -1, pods: [{ id: 'p', address: 'nope' }] },
        { namespace: 'a', name: 'r', containerConcurrency: 1, timeoutSeconds: 0 },
        'x',
      ]),
    ).toThrow(
      '[0].containerConcurrency: want an integer >= 0; [0].pods[0].address: want host:port, got "nope"; ' +
        '[1].timeoutSeconds: must be > 0; [1]: duplicate revision a/r; [2]: want an object',
    );
  });

  it.each([
    { address: '10.0.0.1:8012', want: { host: '10.0.0.1', port: 8012 } },
    { address: 'pod.local:80', want: { host: 'pod.local', port: 80 } },
    { address: '[::1]:8012', want: { host: '::1', port: 8012 } },
    { address: '::1:8012', want: null },
    { address: '10.0.0.1', want: null },
    { address: '10.0.0.1:0', want: null },
    { address: '10.0.0.1:65536', want: null },
    { address: ':80', want: null },
  ])('splitHostPort($address)', ({ address, want }) => {
    expect(splitHostPort(address)).toEqual(want);
  });
});

describe('clusterDomainFromResolvConf (knative/pkg network/domain.go)', () => {
  it.each([
    { text: 'search default.svc.cluster.local svc.cluster.local cluster.local', want: 'cluster.local' },
    { text: 'search svc.a.b.', want: 'a.b' },
    { text: 'nameserver 1.1.1.1', want: undefined },
    { text: '', want: undefined },
  ])('$text → $want', ({ text, want }) => {
    expect(clusterDomainFromResolvConf(text)).toBe(want);
  });
});
