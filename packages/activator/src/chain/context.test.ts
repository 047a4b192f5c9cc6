import { createLogger } from '@kdp/core';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import type { RevisionEntry } from '../revisions.js';
import { Revisions } from '../revisions.js';
import { contextFromKey, contextFromRequest } from './context.js';
import { RecordingExchange } from '@kdp/core/http/recording-exchange.test-util';

const NOT_FOUND = ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff', 'X-Kdp-Error', 'not-found'];
const logger = createLogger({ name: 'context-test', level: 'silent' });

let revisions: Revisions | null = null;
afterEach(() => revisions?.close());

function setup() {
  revisions = new Revisions({ clock: systemClock, logger, probe: () => Promise.resolve(false) });
  const entry = revisions.upsert({ namespace: 'ns', name: 'rev', containerConcurrency: 1 });
  const passed: [RecordingExchange, RevisionEntry][] = [];
  const next = (ex: unknown, e: RevisionEntry): void => {
    passed.push([ex as RecordingExchange, e]);
  };
  return { revisions, entry, passed, next };
}

describe('contextFromKey (in-process)', () => {
  it('passes a known revision on with its entry', () => {
    const s = setup();
    const ex = new RecordingExchange();
    contextFromKey(s.revisions, logger, s.next)(ex, 'ns/rev');
    expect(s.passed).toEqual([[ex, s.entry]]);
    expect(ex.answers).toEqual([]);
  });

  it.each([
    ['ns/other', 'other'],
    ['no-slash', 'no-slash'],
  ])('%s: 404 with Knative\'s text for %s', (key, name) => {
    const s = setup();
    const ex = new RecordingExchange();
    contextFromKey(s.revisions, logger, s.next)(ex, key);
    expect(ex.answers).toEqual([{ status: 404, headers: NOT_FOUND, body: `Error getting active endpoint: revision.serving.knative.dev "${name}" not found\n` }]);
    expect(s.passed).toEqual([]);
  });
});

describe('contextFromRequest (standalone)', () => {
  it.each<[string, Record<string, string>]>([
    ['Knative-Serving-* headers', { 'Knative-Serving-Namespace': 'ns', 'Knative-Serving-Revision': 'rev' }],
    ['the cluster-local Host', { Host: 'rev.ns.svc.cluster.local:80' }],
  ])('%s: passed on with the entry', (_name, headers) => {
    const s = setup();
    const ex = new RecordingExchange(headers);
    contextFromRequest(s.revisions, 'cluster.local', logger, s.next)(ex);
    expect(s.passed).toEqual([[ex, s.entry]]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['an unknown revision', { 'Knative-Serving-Namespace': 'ns', 'Knative-Serving-Revision': 'gone' }, 'gone'],
    ['no revision named at all', { Host: 'example.com' }, ''],
    ['another cluster domain', { Host: 'rev.ns.svc.other.local' }, ''],
  ])('%s: 404', (_name, headers, name) => {
    const s = setup();
    const ex = new RecordingExchange(headers);
    contextFromRequest(s.revisions, 'cluster.local', logger, s.next)(ex);
    expect(ex.answers).toEqual([{ status: 404, headers: NOT_FOUND, body: `Error getting active endpoint: revision.serving.knative.dev "${name}" not found\n` }]);
    expect(s.passed).toEqual([]);
  });
});
