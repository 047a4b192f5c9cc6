import { describe, expect, it } from 'vitest';
import type { CloudEvent } from './cloudevent.js';
import { attributesPredicate, filtersProblems, filtersPredicate, triggerPredicate, type SubscriptionsApiFilter } from './filter.js';

const ev = (attrs: Record<string, string>): CloudEvent => ({ attrs: { specversion: '1.0', id: '1', source: 'https://example.com/a', type: 'com.example.order.created', ...attrs }, data: undefined });

describe('filter.attributes', () => {
  it.each([
    [{ type: 'com.example.order.created' }, {}, true],
    [{ type: 'other' }, {}, false],
    [{ myext: '' }, { myext: 'x' }, true],
    [{ myext: '' }, {}, false],
    [{ type: 'com.example.order.created', myext: 'v' }, { myext: 'w' }, false],
    [{}, {}, true],
  ])('%j on %j → %s', (filter, extra, want) => {
    expect(attributesPredicate(filter)(ev(extra))).toBe(want);
  });
});

describe('filters (subscriptions API)', () => {
  const cases: [string, SubscriptionsApiFilter[], boolean][] = [
    ['exact match', [{ exact: { type: 'com.example.order.created' } }], true],
    ['exact miss', [{ exact: { type: 'com.example' } }], false],
    ['prefix', [{ prefix: { type: 'com.example.' } }], true],
    ['prefix miss', [{ prefix: { type: 'org.' } }], false],
    ['suffix', [{ suffix: { type: '.created' } }], true],
    ['suffix on a missing attribute', [{ suffix: { subject: 'x' } }], false],
    ['all', [{ all: [{ prefix: { source: 'https://' } }, { suffix: { type: 'created' } }] }], true],
    ['all, one fails', [{ all: [{ prefix: { source: 'http://' } }, { suffix: { type: 'created' } }] }], false],
    ['any', [{ any: [{ exact: { type: 'x' } }, { suffix: { type: 'created' } }] }], true],
    ['any, none', [{ any: [{ exact: { type: 'x' } }, { exact: { type: 'y' } }] }], false],
    ['not', [{ not: { exact: { type: 'x' } } }], true],
    ['not of a match', [{ not: { prefix: { type: 'com.' } } }], false],
    ['list is an implicit all', [{ prefix: { type: 'com.' } }, { exact: { type: 'nope' } }], false],
  ];
  it.each(cases)('%s', (_name, filters, want) => {
    expect(filtersPredicate(filters)(ev({}))).toBe(want);
  });
  it('filters win over filter', () => {
    expect(triggerPredicate({ filter: { attributes: { type: 'nope' } }, filters: [{ prefix: { type: 'com.' } }] })(ev({}))).toBe(true);
  });
  it.each([
    [[{ exact: { type: 'a', source: 'b' } }], 'Exact can have only one key-value', '[0].exact'],
    [[{ prefix: { Type: 'a' } }], 'Invalid attribute name: "Type"', '[0].prefix'],
    [[{ all: [] }], 'All must contain at least one nested filter', '[0].all'],
    [[{ exact: { type: 'a' }, prefix: { type: 'b' } }], 'multiple dialects found', '[0]'],
    [[{ cesql: "type = 'a'" }], 'CESQL filters are not supported', '[0].cesql'],
    [[{ any: [{ suffix: {} }] }], 'Suffix can have only one key-value', '[0].any[0].suffix'],
  ])('refuses %j', (filters, message, path) => {
    const p = filtersProblems(filters, 'spec.filters');
    expect(p.length).toBeGreaterThan(0);
    expect(p[0]?.message).toContain(message);
    expect(p[0]?.path).toBe(`spec.filters${path}`);
  });
});
