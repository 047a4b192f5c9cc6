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
