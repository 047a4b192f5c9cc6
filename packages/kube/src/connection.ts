/**
 * Where the Kubernetes API is and how to authenticate, resolved once at start the way client-go's
 * `rest.InClusterConfig` / `clientcmd` do (knative/pkg `injection.ParseAndGetRESTConfigOrDie`):
 *  - in a pod: `KUBERNETES_SERVICE_HOST` + `KUBERNETES_SERVICE_PORT`, the service-account token and CA under
 *    /var/run/secrets/kubernetes.io/serviceaccount (the token file is re-read, because kubelet rotates bound tokens);
 *  - outside: the first file of `KUBECONFIG` (else ~/.kube/config), its current context's cluster and user.
 * Problems come back as `NAME: reason` lines so the caller reports them with its other configuration problems.
 * Not supported (reported, not ignored): exec/auth-provider credential plugins, basic auth, proxies.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConnection {
  /** `https://host:port` (or `http://` for a local test server). No trailing slash. */
  readonly server: string;
  /** PEM CA bundle to trust instead of the system roots. */
  readonly ca?: string;
  /** PEM client certificate and key. */
  readonly cert?: string;
  readonly key?: string;
  readonly insecureSkipTlsVerify: boolean;
  /** A fixed bearer token. */
  readonly token?: string;
  /** A bearer token file, re-read every minute (client-go's `CachedFileTokenSource` does the same). */
  readonly tokenFile?: string;
  /** Where this came from, for the start-up log line. */
  readonly source: 'in-cluster' | 'kubeconfig';
}

export interface ResolveResult {
  readonly connection: KubeConnection | null;
  readonly problems: readonly string[];
}

export type ReadFile = (p: string) => string;

export function resolveKubeConnection(env: NodeJS.ProcessEnv, readFile: ReadFile, home: string = homedir()): ResolveResult {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const problems: string[] = [];
  // client-go prefers an explicit kubeconfig only when in-cluster config is missing (clientcmd's deferred loader);
  // knative/pkg's `--kubeconfig` flag and KUBECONFIG win over in-cluster. KUBECONFIG wins here too.
  const kubeconfig = env.KUBECONFIG;
  if ((kubeconfig === undefined || kubeconfig === '') && host !== undefined && host !== '') {
    if (port === undefined || !/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      problems.push(`KUBERNETES_SERVICE_PORT: want a port 1-65535 with KUBERNETES_SERVICE_HOST set, got ${JSON.stringify(port ?? '')}`);
    }
    const tokenFile = path.join(SERVICE_ACCOUNT_DIR, 'token');
    let ca: string | undefined;
    try {
      readFile(tokenFile);
    } catch (e) {
      problems.push(`KUBERNETES_SERVICE_HOST: in a cluster but the service-account token is unreadable: ${message(e)}`);
    }
    try {
      ca = readFile(path.join(SERVICE_ACCOUNT_DIR, 'ca.crt'));
    } catch (e) {
      problems.push(`KUBERNETES_SERVICE_HOST: in a cluster but the service-account CA is unreadable: ${message(e)}`);
    }
    if (problems.length > 0) return { connection: null, problems };
    const h = host.includes(':') ? `[${host}]` : host;
    return {
      connection: { server: `https://${h}:${String(port)}`, tokenFile, ...(ca === undefined ? {} : { ca }), insecureSkipTlsVerify: false, source: 'in-cluster' },
      problems,
    };
  }
  const file = kubeconfig !== undefined && kubeconfig !== '' ? (kubeconfig.split(path.delimiter).find((p) => p !== '') ?? '') : path.join(home, '.kube', 'config');
  let text: string;
  try {
    text = readFile(file);
  } catch (e) {
    const name = kubeconfig !== undefined && kubeconfig !== '' ? 'KUBECONFIG' : 'KUBERNETES_SERVICE_HOST';
    const why = name === 'KUBECONFIG' ? `cannot read ${file}: ${message(e)}` : `not set (not in a cluster) and no kubeconfig at ${file}; set KUBECONFIG`;
    return { connection: null, problems: [`${name}: ${why}`] };
  }
  return fromKubeconfig(text, file, readFile);
}

/** The current context of a kubeconfig file's text. Relative file paths resolve against the file's folder. */
export function fromKubeconfig(text: string, file: string, readFile: ReadFile): ResolveResult {
  const problem = (reason: string): ResolveResult => ({ connection: null, problems: [`KUBECONFIG: ${file}: ${reason}`] });
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    return problem(`not YAML: ${message(e)}`);
  }
  if (!isObject(doc)) return problem('not a kubeconfig (want a mapping)');
  const current = doc['current-context'];
  if (typeof current !== 'string' || current === '') return problem('no current-context');
  const context = named(doc.contexts, current, 'context');
  if (context === undefined) return problem(`current-context ${JSON.stringify(current)} is not among contexts`);
  const clusterName = context.cluster;
  const userName = context.user;
  const cluster = typeof clusterName === 'string' ? named(doc.clusters, clusterName, 'cluster') : undefined;
  if (cluster === undefined) return problem(`cluster ${JSON.stringify(clusterName)} of context ${JSON.stringify(current)} not found`);
  const user = typeof userName === 'string' ? (named(doc.users, userName, 'user') ?? {}) : {};
  const server = cluster.server;
  if (typeof server !== 'string' || !/^https?:\/\/[^/]+/.test(server)) return problem(`cluster ${JSON.stringify(clusterName)}: want server https://host:port`);
  const dir = path.dirname(file);
  const problems: string[] = [];
  const material = (obj: Record<string, unknown>, dataKey: string, fileKey: string): string | undefined => {
    const data = obj[dataKey];
    if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64').toString('utf8');
    const f = obj[fileKey];
    if (typeof f !== 'string' || f === '') return undefined;
    const p = path.isAbsolute(f) ? f : path.join(dir, f);
    try {
      return readFile(p);
    } catch (e) {
      problems.push(`KUBECONFIG: ${file}: ${fileKey} ${p}: ${message(e)}`);
      return undefined;
    }
  };
  for (const unsupported of ['exec', 'auth-provider', 'username']) {
    if (user[unsupported] !== undefined) problems.push(`KUBECONFIG: ${file}: user ${JSON.stringify(userName)}: ${unsupported} credentials are not supported; use a token or client certificate`);
  }
  const ca = material(cluster, 'certificate-authority-data', 'certificate-authority');
  const cert = material(user, 'client-certificate-data', 'client-certificate');
  const key = material(user, 'client-key-data', 'client-key');
  const token = typeof user.token === 'string' && user.token !== '' ? user.token : undefined;
  const tokenFileRaw = user.tokenFile;
  const tokenFile = typeof tokenFileRaw === 'string' && tokenFileRaw !== '' ? (path.isAbsolute(tokenFileRaw) ? tokenFileRaw : path.join(dir, tokenFileRaw)) : undefined;
  if (problems.length > 0) return { connection: null, problems };
  return {
    connection: {
      server: server.replace(/\/+$/, ''),
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(token === undefined ? {} : { token }),
      ...(tokenFile === undefined ? {} : { tokenFile }),
      insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
      source: 'kubeconfig',
    },
    problems,
  };
}

function named(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const item of list) {
    if (isObject(item) && item.name === name) {
      const v = item[field];
      return isObject(v) ? v : {};
    }
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
