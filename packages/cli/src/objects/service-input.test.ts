import { formatFieldIssues } from '@kdp/router';
import { describe, expect, it } from 'vitest';
import { decodeService, InvalidObjectError } from './service-input.js';

function svc(spec: unknown, metadata: unknown = { name: 'hello' }): unknown {
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata, spec };
}
const container = { command: ['node', 'app.js'] };

function problems(body: unknown, ns = 'default'): string {
  try {
    decodeService(body, ns);
  } catch (err) {
    if (err instanceof InvalidObjectError) return formatFieldIssues(err.issues);
    throw err;
  }
  return '';
}

describe('decodeService', () => {
  it('applies Knative defaults', () => {
    const s = decodeService(svc({ template: { spec: { containers: [container] } } }), 'default');
    expect(s.spec).toEqual({
      template: { metadata: {}, spec: { containers: [{ name: 'user-container', command: ['node', 'app.js'] }], containerConcurrency: 0, timeoutSeconds: 300 } },
      traffic: [{ latestRevision: true, percent: 100 }],
    });
  });

  it('spells out latestRevision per target', () => {
    const s = decodeService(
      svc({ template: { spec: { containers: [container] } }, traffic: [{ revisionName: 'hello-a', percent: 50 }, { percent: 50 }] }),
      'default',
    );
    expect(s.spec.traffic).toEqual([
      { revisionName: 'hello-a', percent: 50, latestRevision: false },
      { percent: 50, latestRevision: true },
    ]);
  });

  it.each([
    ['no body', null, 'invalid value: null: body'],
    ['no name', svc({ template: { spec: { containers: [container] } } }, {}), 'missing field(s): metadata.name'],
    ['a bad name', svc({ template: { spec: { containers: [container] } } }, { name: 'Hello' }), 'invalid value: Hello: metadata.name'],
    ['no spec', svc(undefined), 'missing field(s): spec'],
    ['no containers', svc({ template: { spec: {} } }), 'missing field(s): spec.template.spec.containers'],
    ['an image only', svc({ template: { spec: { containers: [{ image: 'x' }] } } }), 'missing field(s): spec.template.spec.containers[0].command'],
    ['two containers', svc({ template: { spec: { containers: [container, container] } } }), 'kdp runs one process per revision'],
    ['a reserved env var', svc({ template: { spec: { containers: [{ ...container, env: [{ name: 'PORT', value: '1' }] }] } } }), 'PORT is reserved (Knative sets it): spec.template.spec.containers[0].env[0].name'],
    ['valueFrom', svc({ template: { spec: { containers: [{ ...container, env: [{ name: 'A', valueFrom: {} }] }] } } }), 'must not set the field(s): spec.template.spec.containers[0].env[0].valueFrom'],
    ['a reserved port', svc({ template: { spec: { containers: [{ ...container, ports: [{ containerPort: 8012 }] }] } } }), '8012 is reserved for the queue-proxy'],
    ['a long timeout', svc({ template: { spec: { containers: [container], timeoutSeconds: 601 } } }), 'spec.template.spec.timeoutSeconds'],
    ['a bad template name', svc({ template: { metadata: { name: 'world' }, spec: { containers: [container] } } }), 'invalid value: "world" must have prefix "hello-": spec.template.metadata.name'],
    ['a bad min-scale', svc({ template: { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': 'x' } }, spec: { containers: [container] } } }), 'invalid value: x: spec.template.metadata.annotations.autoscaling.knative.dev/min-scale'],
    ['traffic not summing to 100', svc({ template: { spec: { containers: [container] } }, traffic: [{ latestRevision: true, percent: 90 }] }), 'Traffic targets sum to 90, want 100: spec.traffic'],
    ['configurationName in a service', svc({ template: { spec: { containers: [container] } }, traffic: [{ configurationName: 'x', percent: 100 }] }), 'must not set the field(s): spec.traffic[0].configurationName'],
    ['another namespace', svc({ template: { spec: { containers: [container] } } }, { name: 'hello', namespace: 'other' }), 'metadata.namespace'],
    ['wrong types', svc({ template: { spec: { containers: [{ command: 'node app.js' }], containerConcurrency: 'x' } } }), 'invalid value: node app.js: spec.template.spec.containers[0].command'],
  ])('refuses %s', (_name, body, message) => {
    expect(problems(body)).toContain(message);
  });

  it('reports every problem at once', () => {
    const out = problems(svc({ template: { metadata: { name: 'x' }, spec: { containers: [{}] } }, traffic: [{ percent: 10 }] }));
    expect(out).toContain('Traffic targets sum to 10, want 100: spec.traffic');
    expect(out).toContain('must have prefix "hello-": spec.template.metadata.name');
    expect(out).toContain('missing field(s): spec.template.spec.containers[0].command');
  });
});
