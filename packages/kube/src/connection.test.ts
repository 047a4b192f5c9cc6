import { describe, expect, it } from 'vitest';
import { resolveKubeConnection, SERVICE_ACCOUNT_DIR } from './connection.js';
import { kubeconfigFor } from './testing/kubeconfig.js';

function files(map: Record<string, string>): (p: string) => string {
  return (p) => {
    const v = map[p];
    if (v === undefined) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
    return v;
  };
}

const SA = { [`${SERVICE_ACCOUNT_DIR}/token`]: 'tok\n', [`${SERVICE_ACCOUNT_DIR}/ca.crt`]: 'PEM' };

describe('resolveKubeConnection', () => {
  it('in a pod: the service host and port, the token file and the CA', () => {
    const r = resolveKubeConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, files(SA), '/home/x');
    expect(r.problems).toEqual([]);
    expect(r.connection).toEqual({ server: 'https://10.96.0.1:443', tokenFile: `${SERVICE_ACCOUNT_DIR}/token`, ca: 'PEM', insecureSkipTlsVerify: false, source: 'in-cluster' });
  });

  it('brackets an IPv6 service host', () => {
    const r = resolveKubeConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, files(SA), '/home/x');
    expect(r.connection?.server).toBe('https://[fd00::1]:443');
  });

  it.each([
    [{ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: 'x' }, SA, /^KUBERNETES_SERVICE_PORT: want a port/],
    [{ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, { [`${SERVICE_ACCOUNT_DIR}/ca.crt`]: 'PEM' }, /^KUBERNETES_SERVICE_HOST: in a cluster but the service-account token is unreadable/],
    [{}, {}, /^KUBERNETES_SERVICE_HOST: not set \(not in a cluster\) and no kubeconfig at \/home\/x\/\.kube\/config; set KUBECONFIG$/],
    [{ KUBECONFIG: '/nope' }, {}, /^KUBECONFIG: cannot read \/nope: ENOENT/],
    [{ KUBECONFIG: '/k' }, { '/k': 'a: [' }, /^KUBECONFIG: \/k: not YAML/],
    [{ KUBECONFIG: '/k' }, { '/k': 'current-context: x\ncontexts: []\n' }, /^KUBECONFIG: \/k: current-context "x" is not among contexts$/],
    [
      { KUBECONFIG: '/k' },
      { '/k': kubeconfigFor('https://h:6443', 't').replace('    token: t', '    exec: {command: aws}') },
      /^KUBECONFIG: \/k: user "fake": exec credentials are not supported/,
    ],
  ])('reports %j as one line naming the variable', (env, fs, want) => {
    const r = resolveKubeConnection(env, files(fs), '/home/x');
    expect(r.connection).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(want);
  });

  it('KUBECONFIG wins over in-cluster variables; token, CA data and relative file paths are read', () => {
    const text = [
      'current-context: c',
      'contexts: [{name: c, context: {cluster: k, user: u}}]',
      `clusters: [{name: k, cluster: {server: "https://h:6443/", certificate-authority-data: ${Buffer.from('CA').toString('base64')}}}]`,
      'users: [{name: u, user: {client-certificate: crt.pem, client-key: /abs/key.pem, token: abc}}]',
    ].join('\n');
    const r = resolveKubeConnection(
      { KUBECONFIG: `:/cfg/kc${process.platform === 'win32' ? ';' : ':'}/other`, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
      files({ '/cfg/kc': text, '/cfg/crt.pem': 'CERT', '/abs/key.pem': 'KEY' }),
    );
    expect(r.problems).toEqual([]);
    expect(r.connection).toEqual({ server: 'https://h:6443', ca: 'CA', cert: 'CERT', key: 'KEY', token: 'abc', insecureSkipTlsVerify: false, source: 'kubeconfig' });
  });
});
