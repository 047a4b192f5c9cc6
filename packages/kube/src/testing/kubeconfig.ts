/** A kubeconfig file's text pointing at `server` with a bearer token, as `kubectl config` writes one. */
export function kubeconfigFor(server: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${server}`,
    'contexts:',
    '- name: fake',
    '  context:',
    '    cluster: fake',
    '    user: fake',
    'current-context: fake',
    'users:',
    '- name: fake',
    '  user:',
    `    token: ${token}`,
    '',
  ].join('\n');
}
