import { describe, expect, it } from 'vitest';
import { UsageError } from '../args.js';
import { bodyOf, editTemplate, emptyService, revisionName } from './template-flags.js';

const ctx = { command: 'service create', cwd: '/home/me/app', generation: 0, random: () => 0 };

describe('revisionName (kn --revision-name)', () => {
  it.each([
    ['world', 'hello-world'],
    ['hello-world', 'hello-world'],
    ['{{.Service}}-v{{.Generation}}', 'hello-v1'],
    ['{{.Random 3}}', 'hello-bbb'],
    ['', ''],
  ])('%s', (tmpl, want) => {
    expect(revisionName(tmpl, 'hello', ctx)).toBe(want);
  });

  it('refuses unknown template fields', () => {
    expect(() => revisionName('{{.Nope}}', 'hello', ctx)).toThrow(UsageError);
  });
});

describe('editTemplate', () => {
  it('builds a template from create flags', () => {
    const body = emptyService('hello', 'default');
    editTemplate(
      body,
      {
        cmd: ['node "my app.js" --x'],
        env: ['TARGET=World'],
        port: 'h2c:9000',
        'revision-name': 'world',
        'concurrency-limit': '10',
        'concurrency-target': '5',
        'scale-min': '0',
        'scale-max': '3',
        annotation: ['team=web', 'autoscaling.knative.dev/window=20s'],
      },
      ctx,
    );
    expect(body.metadata.annotations).toEqual({ team: 'web' });
    expect(body.spec.template).toEqual({
      metadata: {
        name: 'hello-world',
        annotations: {
          'autoscaling.knative.dev/target': '5',
          'autoscaling.knative.dev/min-scale': '0',
          'autoscaling.knative.dev/max-scale': '3',
          team: 'web',
          'autoscaling.knative.dev/window': '20s',
        },
      },
      spec: {
        containers: [
          {
            command: ['node', 'my app.js', '--x'],
            workingDir: '/home/me/app',
            ports: [{ containerPort: 9000, name: 'h2c' }],
            env: [{ name: 'TARGET', value: 'World' }],
          },
        ],
        containerConcurrency: 10,
      },
    });
  });

  it('drops the old revision name when the template changes without --revision-name', () => {
    const body = emptyService('hello', 'default');
    editTemplate(body, { cmd: ['node app.js'], env: ['TARGET=World'], 'revision-name': 'world' }, ctx);
    const next = bodyOf(body);
    expect(editTemplate(next, { env: ['TARGET=Knative'] }, ctx)).toBe(true);
    expect(next.spec.template.metadata.name).toBeUndefined();
    expect(next.spec.template.spec.containers[0]?.env).toEqual([{ name: 'TARGET', value: 'Knative' }]);
  });

  it('keeps the name (no new revision) when only traffic changes', () => {
    const body = emptyService('hello', 'default');
    editTemplate(body, { cmd: ['node app.js'], 'revision-name': 'world' }, ctx);
    const next = bodyOf(body);
    expect(editTemplate(next, {}, ctx)).toBe(false);
    expect(next.spec.template.metadata.name).toBe('hello-world');
  });

  it('removes env vars and annotations with KEY-', () => {
    const body = emptyService('hello', 'default');
    editTemplate(body, { cmd: ['x'], env: ['A=1', 'B=2'], annotation: ['k=v'] }, ctx);
    editTemplate(body, { env: ['A-'], annotation: ['k-'] }, ctx);
    expect(body.spec.template.spec.containers[0]?.env).toEqual([{ name: 'B', value: '2' }]);
    expect(body.spec.template.metadata.annotations).toBeUndefined();
    expect(body.metadata.annotations).toBeUndefined();
  });

  it.each([
    [{ port: '70000' }, '--port'],
    [{ port: 'http' }, '--port'],
    [{ 'concurrency-limit': '-1' }, '--concurrency-limit'],
    [{ cmd: [''] }, '--cmd: empty command'],
    [{ cmd: ["'open"] }, '--cmd: unterminated'],
  ])('refuses %j', (flags, message) => {
    expect(() => editTemplate(emptyService('hello', 'default'), flags, ctx)).toThrow(message);
  });
});
