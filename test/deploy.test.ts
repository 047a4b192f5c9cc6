/** Static checks of the images and manifests (no Docker engine or cluster on the build machines). */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ROOT } from './helpers/process.js';

function read(rel: string): string {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8');
}

describe('Dockerfile.queue', () => {
  const text = read('Dockerfile.queue');
  const instructions = text.split('\n').filter((l) => /^[A-Z]+\s/.test(l));

  it('is multi-stage on the current Node LTS', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:24[-\w.]*/);
  });

  it('runs as a non-root numeric user and starts node directly (exec form) so SIGTERM reaches it', () => {
    const user = instructions.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toMatch(/^USER [1-9][0-9]*(:[0-9]+)?$/);
    const entry = instructions.filter((l) => l.startsWith('ENTRYPOINT ')).at(-1) ?? '';
    const argv = JSON.parse(entry.slice('ENTRYPOINT '.length)) as string[];
    expect(argv[0]).toBe('node');
    expect(argv.at(-1)).toBe('packages/queue-proxy/dist/bundle/main.js');
  });

  it('copies only what exists in the repository', () => {
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const parts = line.split(/\s+/).slice(1, -1);
      for (const p of parts) expect(fs.existsSync(path.join(ROOT, p)), `${p} in "${line}"`).toBe(true);
    }
  });

  it('declares Knative queue-proxy ports', () => {
    const expose = instructions.find((l) => l.startsWith('EXPOSE ')) ?? '';
    for (const port of ['8012', '8022', '9090', '9091']) expect(expose).toContain(port);
  });
});

describe('deploy/ manifests', () => {
  it('parse as YAML and the kustomization lists files that exist', () => {
    const kust = YAML.parse(read('deploy/queue-proxy/kustomization.yaml')) as { resources: string[] };
    for (const r of kust.resources) expect(fs.existsSync(path.join(ROOT, 'deploy/queue-proxy', r))).toBe(true);
    const cm = YAML.parse(read('deploy/queue-proxy/config-deployment.yaml')) as {
      kind: string;
      metadata: { name: string; namespace: string };
      data: Record<string, string>;
    };
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata).toEqual(expect.objectContaining({ name: 'config-deployment', namespace: 'knative-serving' }));
    expect(cm.data['queue-sidecar-image']).toMatch(/kdp-queue-proxy/);
  });
});

describe('queue-proxy node flags', () => {
  it('are the same in the bin shebang, Dockerfile.queue and QUEUE_PROXY_NODE_FLAGS', async () => {
    const { QUEUE_PROXY_NODE_FLAGS } = await import('@kdp/queue-proxy');
    const shebang = read('packages/queue-proxy/bin/kdp-queue-proxy.js').split('\n')[0] ?? '';
    expect(shebang).toBe(`#!/usr/bin/env -S node ${QUEUE_PROXY_NODE_FLAGS.join(' ')}`);
    const entry = read('Dockerfile.queue').split('\n').find((l) => l.startsWith('ENTRYPOINT ')) ?? '';
    expect(JSON.parse(entry.slice('ENTRYPOINT '.length))).toEqual(['node', ...QUEUE_PROXY_NODE_FLAGS, 'packages/queue-proxy/dist/bundle/main.js']);
  });
});

describe('Dockerfile.activator', () => {
  const text = read('Dockerfile.activator');
  const instructions = text.split('\n').filter((l) => /^[A-Z]+\s/.test(l));

  it('is multi-stage on the current Node LTS, non-root, with node itself as the entrypoint', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:24[-\w.]*/);
    expect(instructions.filter((l) => l.startsWith('USER ')).at(-1)).toMatch(/^USER [1-9][0-9]*(:[0-9]+)?$/);
    const entry = instructions.filter((l) => l.startsWith('ENTRYPOINT ')).at(-1) ?? '';
    const argv = JSON.parse(entry.slice('ENTRYPOINT '.length)) as string[];
    expect(argv[0]).toBe('node');
    expect(argv.at(-1)).toBe('packages/activator/dist/main.js');
    // The entrypoint is what the build produces (npm run build ran before the tests).
    expect(fs.existsSync(path.join(ROOT, argv.at(-1) ?? ''))).toBe(true);
  });

  it('copies only what exists, and every workspace package.json so npm ci sees the whole lockfile', () => {
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const parts = line.split(/\s+/).slice(1, -1);
      for (const p of parts) expect(fs.existsSync(path.join(ROOT, p)), `${p} in "${line}"`).toBe(true);
    }
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    for (const ws of workspaces) expect(text).toContain(`COPY ${ws}/package.json ${ws}/`);
  });

  it('declares Knative activator ports', () => {
    const expose = instructions.find((l) => l.startsWith('EXPOSE ')) ?? '';
    for (const port of ['8012', '8013', '9090']) expect(expose).toContain(port);
  });
});

interface Container {
  name: string;
  image: string;
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  readinessProbe: { httpGet: { port: number }; periodSeconds: number; failureThreshold: number };
  livenessProbe: { httpGet: { port: number }; periodSeconds: number; failureThreshold: number; initialDelaySeconds: number };
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  securityContext: { readOnlyRootFilesystem: boolean; runAsNonRoot: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
}
interface Deployment {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; terminationGracePeriodSeconds: number; containers: Container[] } };
  };
}

/** What `kustomize build deploy/activator` does with this kustomization: namespace and image transformers. */
function buildActivatorOverlay(): Deployment[] {
  const kust = YAML.parse(read('deploy/activator/kustomization.yaml')) as {
    namespace: string;
    resources: string[];
    images: { name: string; newName: string; newTag: string }[];
  };
  const out: Deployment[] = [];
  for (const r of kust.resources) {
    for (const doc of YAML.parseAllDocuments(read(path.join('deploy/activator', r)))) {
      expect(doc.errors).toEqual([]);
      const d = doc.toJS() as Deployment;
      d.metadata.namespace = kust.namespace;
      for (const c of d.spec.template.spec.containers) {
        const img = kust.images.find((i) => i.name === c.image);
        if (img !== undefined) c.image = `${img.newName}:${img.newTag}`;
      }
      out.push(d);
    }
  }
  return out;
}

describe('deploy/activator (kustomize overlay over Knative\'s activator Deployment)', () => {
  const docs = buildActivatorOverlay();
  const d = docs[0]!;
  const c = d.spec.template.spec.containers[0]!;

  it('is exactly Knative\'s activator Deployment, by name, selector and service account (so its RBAC applies)', () => {
    expect(docs).toHaveLength(1);
    expect(d).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'activator', namespace: 'knative-serving' } });
    expect(d.spec.selector.matchLabels).toEqual({ app: 'activator', role: 'activator' });
    expect(d.spec.template.metadata.labels).toMatchObject({ app: 'activator', role: 'activator' });
    expect(d.spec.template.spec.serviceAccountName).toBe('activator');
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(600);
    expect(d.spec.template.spec.containers.map((x) => x.name)).toEqual(['activator']);
  });

  it('runs the kdp image with Knative\'s env, ports, probes and security context', () => {
    expect(c.image).toBe('ghcr.io/kdp-dev/kdp-activator:0.1.0');
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value]));
    expect(env).toEqual({
      POD_NAME: 'metadata.name',
      POD_IP: 'status.podIP',
      SYSTEM_NAMESPACE: 'metadata.namespace',
      CONFIG_LOGGING_NAME: 'config-logging',
      CONFIG_OBSERVABILITY_NAME: 'config-observability',
    });
    expect(c.ports).toEqual([
      { name: 'metrics', containerPort: 9090 },
      { name: 'profiling', containerPort: 8008 },
      { name: 'http1', containerPort: 8012 },
      { name: 'h2c', containerPort: 8013 },
    ]);
    expect(c.readinessProbe).toEqual({ httpGet: { port: 8012 }, periodSeconds: 5, failureThreshold: 5 });
    expect(c.livenessProbe).toEqual({ httpGet: { port: 8012 }, periodSeconds: 10, failureThreshold: 12, initialDelaySeconds: 15 });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    // Knative's CPU figures and memory limit; the memory request is Node-sized.
    expect(c.resources).toEqual({ requests: { cpu: '300m', memory: '100Mi' }, limits: { cpu: '1000m', memory: '600Mi' } });
  });

  it('the env is everything the binary needs in cluster mode (parsed by the real config reader)', async () => {
    const { parseConfig } = await import('@kdp/activator');
    const env: NodeJS.ProcessEnv = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    for (const e of c.env) env[e.name] = e.value ?? (e.name === 'POD_IP' ? '10.244.0.5' : `from-${e.valueFrom?.fieldRef?.fieldPath ?? ''}`);
    const config = parseConfig(env, { readFile: (p) => (p.startsWith('/var/run/secrets/kubernetes.io/serviceaccount/') ? 'x' : '') });
    expect(config.kubernetes).toMatchObject({ systemNamespace: 'from-metadata.namespace', connection: { server: 'https://10.96.0.1:443', source: 'in-cluster' } });
    const port = (name: string): number | undefined => c.ports.find((p) => p.name === name)?.containerPort;
    expect([config.port, config.h2cPort, config.metricsPort]).toEqual([port('http1'), port('h2c'), port('metrics')]);
  });
});
