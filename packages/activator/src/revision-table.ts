/**
 * The standalone activator's revision table, until it watches a real source (Kubernetes informers): a JSON array
 *
 *   [{ "namespace": "default", "name": "hello-00001", "containerConcurrency": 0, "timeoutSeconds": 300,
 *      "responseStartTimeoutSeconds": 0, "idleTimeoutSeconds": 0,
 *      "pods": [{ "id": "hello-00001-abc", "address": "10.0.0.7:8012" }] }]
 *
 * `pods` lists queue-proxy addresses; each is probed like a pod the runtime reported started.
 */
import type { RevisionSpec } from './revisions.js';

export interface TablePod {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

export interface RevisionTableEntry extends RevisionSpec {
  readonly pods: readonly TablePod[];
}

/** Validates the parsed JSON; throws one Error listing every problem. */
export function parseRevisionTable(value: unknown): RevisionTableEntry[] {
  const problems: string[] = [];
  if (!Array.isArray(value)) throw new Error('want a JSON array of revisions');
  const out: RevisionTableEntry[] = [];
  const seen = new Set<string>();
  value.forEach((raw: unknown, i) => {
    const at = `[${String(i)}]`;
    if (!isObject(raw)) {
      problems.push(`${at}: want an object`);
      return;
    }
    const namespace = str(raw, 'namespace', at, problems);
    const name = str(raw, 'name', at, problems);
    const cc = num(raw, 'containerConcurrency', at, problems, 0, true);
    const timeoutSeconds = num(raw, 'timeoutSeconds', at, problems, 300, false);
    const responseStart = num(raw, 'responseStartTimeoutSeconds', at, problems, 0, false);
    const idle = num(raw, 'idleTimeoutSeconds', at, problems, 0, false);
    if (timeoutSeconds <= 0) problems.push(`${at}.timeoutSeconds: must be > 0`);
    const key = `${namespace}/${name}`;
    if (seen.has(key)) problems.push(`${at}: duplicate revision ${key}`);
    seen.add(key);
    const pods: TablePod[] = [];
    const rawPods = raw.pods ?? [];
    if (!Array.isArray(rawPods)) problems.push(`${at}.pods: want an array`);
    else {
      rawPods.forEach((p: unknown, j) => {
        const pat = `${at}.pods[${String(j)}]`;
        if (!isObject(p)) {
          problems.push(`${pat}: want an object`);
          return;
        }
        const id = str(p, 'id', pat, problems);
        const address = str(p, 'address', pat, problems);
        const hp = splitHostPort(address);
        if (hp === null) problems.push(`${pat}.address: want host:port, got ${JSON.stringify(address)}`);
        else pods.push({ id, host: hp.host, port: hp.port });
      });
    }
    out.push({
      namespace,
      name,
      containerConcurrency: cc,
      timeoutSeconds,
      responseStartTimeoutSeconds: responseStart,
      idleTimeoutSeconds: idle,
      pods,
    });
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return out;
}

/** `host:port` or `[v6]:port`. */
export function splitHostPort(address: string): { host: string; port: number } | null {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return null;
  let host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) return null;
  if (host === '' || !/^[0-9]{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65535) return null;
  return { host, port };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string, at: string, problems: string[]): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') {
    problems.push(`${at}.${key}: want a non-empty string`);
    return '';
  }
  return v;
}

function num(o: Record<string, unknown>, key: string, at: string, problems: string[], dflt: number, required: boolean): number {
  const v = o[key];
  if (v === undefined && !required) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    problems.push(`${at}.${key}: want an integer >= 0`);
    return dflt;
  }
  return v;
}
