import type { Exchange, HeaderList } from '@kdp/core';
import { describe, expect, it } from 'vitest';
import { createRouterHandler } from './handler.js';
import { RouteTable, RouteTableRef } from './route-table.js';
import type { RouteTableInput } from './route-table.js';

interface Answer {
  status: number;
  headers: HeaderList;
  body: string;
}

/** Just enough of an Exchange for the router: headers in, a local answer out. */
function exchange(headers: Record<string, string>): Exchange & { answer: Answer | null } {
  const ex = {
    method: 'GET',
    target: '/',
    protocol: 'HTTP/1.1' as const,
    remoteAddress: '127.0.0.1',
    startedAt: 0,
    responseStarted: false,
    responseStartedAt: 0,
    finished: false,
    state: null as unknown,
    onFinish: null,
    answer: null as Answer | null,
    header: (name: string): string | undefined => headers[name],
    respond(status: number, h: HeaderList, body: string): void {
      ex.answer = { status, headers: h, body };
    },
    forward(): void {
      throw new Error('the router never forwards itself');
    },
    setTimeouts(): void {},
  };
  return ex;
}

const TABLE: RouteTableInput = {
  routes: [
    {
      namespace: 'default',
      name: 'hello',
      split: [{ revisionName: 'hello-00002', percent: 100 }],
      tags: [{ tag: 'canary', revisionName: 'hello-00003' }],
    },
  ],
};

function route(headers: Record<string, string>, input: RouteTableInput = TABLE): { revision: string | null; answer: Answer | null } {
  let revision: string | null = null;
  const handler = createRouterHandler(new RouteTableRef(RouteTable.build(input)), (_ex, key) => {
    revision = key;
  });
  const ex = exchange(headers);
  handler(ex);
  return { revision, answer: ex.answer };
}

describe('createRouterHandler', () => {
  it.each([
    ['the route host', { host: 'hello.default.localhost' }, 'default/hello-00002'],
    ['the route host with a port, upper case and a trailing dot', { host: 'HELLO.default.localhost.:8080' }, 'default/hello-00002'],
    ['a tag host', { host: 'canary-hello.default.localhost' }, 'default/hello-00003'],
    ['a tag header on the route host', { host: 'hello.default.localhost', 'knative-serving-tag': 'canary' }, 'default/hello-00003'],
    ['an unknown tag header (falls through to the split, as Knative)', { host: 'hello.default.localhost', 'knative-serving-tag': 'nope' }, 'default/hello-00002'],
  ])('hands %s to the activator', (_what, headers, revision) => {
    expect(route(headers)).toEqual({ revision, answer: null });
  });

  it.each([
    ['an unknown host', { host: 'nope.default.localhost' }, 'no route for host "nope.default.localhost"\n'],
    ['no Host at all', {}, 'no route for host ""\n'],
  ])('answers 404 not-found itself for %s', (_what, headers, body) => {
    const { revision, answer } = route(headers);
    expect(revision).toBeNull();
    expect(answer?.status).toBe(404);
    expect(answer?.body).toBe(body);
    expect(answer?.headers).toContain('X-Kdp-Error');
    expect(answer?.headers[answer.headers.indexOf('X-Kdp-Error') + 1]).toBe('not-found');
  });

  it('answers 404 for an unknown tag header when the table rejects those', () => {
    const { revision, answer } = route(
      { host: 'hello.default.localhost', 'knative-serving-tag': 'nope' },
      { ...TABLE, unknownTagHeader: 'reject' },
    );
    expect(revision).toBeNull();
    expect(answer?.status).toBe(404);
    expect(answer?.body).toBe('no tag "nope" on host "hello.default.localhost"\n');
  });

  it('reads the table through the reference, so a swap applies to the next request', () => {
    const ref = new RouteTableRef(RouteTable.build(TABLE));
    const seen: string[] = [];
    const handler = createRouterHandler(ref, (_ex, key) => seen.push(key));
    handler(exchange({ host: 'hello.default.localhost' }));
    ref.update({ routes: [{ namespace: 'default', name: 'hello', split: [{ revisionName: 'hello-00004', percent: 100 }] }] });
    handler(exchange({ host: 'hello.default.localhost' }));
    expect(seen).toEqual(['default/hello-00002', 'default/hello-00004']);
  });
});
