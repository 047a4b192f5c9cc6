// The flags of `kdp service create|update` that change the revision template, applied to a Service body the way
// kn's configuration_edit_flags.go applies them: env and annotations are edited (`K=V` sets, `K-` removes),
// autoscaling flags become the `autoscaling.knative.dev/*` annotations, and a changed template without
// `--revision-name` drops the old name so the server names the new revision (`<service>-<generation>`).

import path from 'node:path';
import { intFlag, parseKeyValueEdits, splitCommandLine, UsageError, type KeyValueEdit } from '../args.js';
import { jsonEqual } from '../objects/factory.js';
import { API_VERSION, type Container, type RevisionTemplateSpec, type ServiceSpec } from '../objects/types.js';

/** What `kdp` sends: a Service without status. */
export interface ServiceBody {
  apiVersion: typeof API_VERSION;
  kind: 'Service';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: ServiceSpec;
}

export const TEMPLATE_OPTIONS = {
  cmd: { type: 'string', multiple: true },
  arg: { type: 'string', multiple: true },
  workdir: { type: 'string' },
  port: { type: 'string', short: 'p' },
  env: { type: 'string', short: 'e', multiple: true },
  'revision-name': { type: 'string' },
  'concurrency-limit': { type: 'string' },
  'concurrency-target': { type: 'string' },
  'concurrency-utilization': { type: 'string' },
  'scale-min': { type: 'string' },
  'scale-max': { type: 'string' },
  'scale-init': { type: 'string' },
  'scale-window': { type: 'string' },
  timeout: { type: 'string' },
  annotation: { type: 'string', short: 'a', multiple: true },
} as const;

export interface TemplateFlagValues {
  cmd?: string[] | undefined;
  arg?: string[] | undefined;
  workdir?: string | undefined;
  port?: string | undefined;
  env?: string[] | undefined;
  'revision-name'?: string | undefined;
  'concurrency-limit'?: string | undefined;
  'concurrency-target'?: string | undefined;
  'concurrency-utilization'?: string | undefined;
  'scale-min'?: string | undefined;
  'scale-max'?: string | undefined;
  'scale-init'?: string | undefined;
  'scale-window'?: string | undefined;
  timeout?: string | undefined;
  annotation?: string[] | undefined;
}

const AUTOSCALING = 'autoscaling.knative.dev/';
const SCALE_ANNOTATIONS = [
  ['concurrency-target', `${AUTOSCALING}target`],
  ['concurrency-utilization', `${AUTOSCALING}target-utilization-percentage`],
  ['scale-min', `${AUTOSCALING}min-scale`],
  ['scale-max', `${AUTOSCALING}max-scale`],
  ['scale-init', `${AUTOSCALING}initial-scale`],
  ['scale-window', `${AUTOSCALING}window`],
] as const;

export interface EditContext {
  readonly command: string;
  /** Where relative `--cmd` paths are meant from: the directory the user typed the command in. */
  readonly cwd: string;
  /** The Service's current generation (0 when creating), for `{{.Generation}}` in `--revision-name`. */
  readonly generation: number;
  readonly random?: () => number;
}

/** A new Service body with nothing but its name; the flags fill in the rest. */
export function emptyService(name: string, namespace: string): ServiceBody {
  return {
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: { name, namespace },
    spec: { template: { metadata: {}, spec: { containers: [{}] } }, traffic: [] },
  };
}

/** A Service read from the server, reduced to what a PUT sends back (spec, labels, annotations, resourceVersion). */
export function bodyOf(svc: ServiceBody): ServiceBody {
  const m = svc.metadata;
  return {
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      ...(m.resourceVersion !== undefined && { resourceVersion: m.resourceVersion }),
      ...(m.labels !== undefined && { labels: { ...m.labels } }),
      ...(m.annotations !== undefined && { annotations: { ...m.annotations } }),
    },
    spec: structuredClone({ template: svc.spec.template, traffic: svc.spec.traffic }),
  };
}

/** Applies the template flags to `body` in place. Returns whether the template changed. */
export function editTemplate(body: ServiceBody, f: TemplateFlagValues, ctx: EditContext): boolean {
  const t = body.spec.template;
  const before = withoutName(t);
  const c: Container = t.spec.containers[0] ?? {};
  t.spec.containers[0] = c;

  if (f.cmd !== undefined) {
    const words = f.cmd.flatMap((line) => {
      try {
        return splitCommandLine(line);
      } catch (err) {
        throw new UsageError(`--cmd: ${(err as Error).message}`, ctx.command);
      }
    });
    if (words.length === 0) throw new UsageError('--cmd: empty command', ctx.command);
    c.command = words;
    // The whole command line is in --cmd; arguments of the previous command do not carry over.
    delete c.args;
    c.workingDir = path.resolve(ctx.cwd, f.workdir ?? '.');
  } else if (f.workdir !== undefined) {
    c.workingDir = path.resolve(ctx.cwd, f.workdir);
  }
  if (f.arg !== undefined) c.args = f.arg;
  if (f.port !== undefined) c.ports = [parsePort(f.port, ctx.command)];
  if (f.env !== undefined) {
    c.env = applyEnv(c.env ?? [], parseKeyValueEdits(f.env, 'env', ctx.command));
    if (c.env.length === 0) delete c.env;
  }
  const limit = intFlag(f['concurrency-limit'], 'concurrency-limit', ctx.command);
  if (limit !== undefined) t.spec.containerConcurrency = limit;
  const timeout = intFlag(f.timeout, 'timeout', ctx.command, 1);
  if (timeout !== undefined) t.spec.timeoutSeconds = timeout;

  const annotations = { ...t.metadata.annotations };
  for (const [flag, key] of SCALE_ANNOTATIONS) {
    const v = f[flag];
    if (v !== undefined) annotations[key] = v;
  }
  // kn puts --annotation on the Service and its template; autoscaling ones only mean something on the template.
  const serviceAnnotations = { ...body.metadata.annotations };
  for (const e of parseKeyValueEdits(f.annotation, 'annotation', ctx.command)) {
    applyEdit(annotations, e);
    if (!e.key.startsWith(AUTOSCALING)) applyEdit(serviceAnnotations, e);
  }
  setMap(t.metadata, 'annotations', annotations);
  setMap(body.metadata, 'annotations', serviceAnnotations);

  const changed = !jsonEqual(before, withoutName(t));
  const requested = f['revision-name'];
  if (requested !== undefined) {
    const name = revisionName(requested, body.metadata.name, ctx);
    if (name === '') delete t.metadata.name;
    else t.metadata.name = name;
  } else if (changed) {
    delete t.metadata.name;
  }
  return changed || requested !== undefined;
}

/** The template as it decides whether a new revision is needed: everything but its name. */
function withoutName(t: RevisionTemplateSpec): RevisionTemplateSpec {
  const copy = structuredClone(t);
  delete copy.metadata.name;
  return copy;
}

function setMap<K extends string>(o: { [P in K]?: Record<string, string> }, key: K, m: Record<string, string>): void {
  if (Object.keys(m).length > 0) o[key] = m;
  else delete o[key];
}

function applyEdit(m: Record<string, string>, e: KeyValueEdit): void {
  if (e.kind === 'set') m[e.key] = e.value;
  else delete m[e.key];
}

function applyEnv(env: readonly { name: string; value: string }[], edits: readonly KeyValueEdit[]): { name: string; value: string }[] {
  const out = env.map((e) => ({ ...e }));
  for (const e of edits) {
    const i = out.findIndex((x) => x.name === e.key);
    if (e.kind === 'unset') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) {
      out[i] = { name: e.key, value: e.value };
    } else {
      out.push({ name: e.key, value: e.value });
    }
  }
  return out;
}

/** kn's `--port [name:]number` (name `h2c` for HTTP/2 cleartext apps). */
function parsePort(v: string, command: string): { containerPort: number; name?: string } {
  const m = /^(?:([a-z0-9-]+):)?(\d+)$/.exec(v);
  const n = m === null ? NaN : Number(m[2]);
  if (m === null || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new UsageError(`--port ${JSON.stringify(v)}: expected [NAME:]PORT with PORT in 1..65535 (e.g. 8080 or h2c:8080)`, command);
  }
  return m[1] === undefined ? { containerPort: n } : { containerPort: n, name: m[1] };
}

const CONSONANTS = 'bcdfghjklmnpqrstvwxyz';

/**
 * kn's `--revision-name`: a Go-template-like name (`{{.Service}}`, `{{.Generation}}`, `{{.Random N}}`), prefixed
 * with `<service>-` unless it already starts with it (kn GenerateRevisionName), so `--revision-name world` on
 * `hello` gives `hello-world`. `{{.Generation}}` is the Service's next generation, as in kn.
 */
export function revisionName(template: string, service: string, ctx: EditContext): string {
  const random = ctx.random ?? Math.random;
  const out = template.replace(/\{\{\s*\.(\w+)\s*(\d*)\s*\}\}/g, (whole, field: string, n: string) => {
    switch (field) {
      case 'Service':
        return service;
      case 'Generation':
        return String(ctx.generation + 1);
      case 'Random':
        return Array.from({ length: Number(n || '5') }, () => CONSONANTS.charAt(Math.floor(random() * CONSONANTS.length))).join('');
      default:
        throw new UsageError(`--revision-name: unknown template field ${whole} (use {{.Service}}, {{.Generation}} or {{.Random N}})`, ctx.command);
    }
  });
  if (out === '') return '';
  return out.startsWith(`${service}-`) ? out : `${service}-${out}`;
}

