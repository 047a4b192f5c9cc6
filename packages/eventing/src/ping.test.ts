import { describe, expect, it } from 'vitest';
import { PING_EVENT_TYPE, pingEvent, scheduleProblems } from './ping.js';

describe('PingSource schedule', () => {
  it.each([
    ['* * * * *', undefined],
    ['*/5 * * * *', 'Europe/Paris'],
    ['0 9 * * 1-5', 'America/New_York'],
    ['@hourly', undefined],
    ['*/10 * * * * *', undefined],
  ])('%s in %s is valid', (schedule, tz) => expect(scheduleProblems(schedule, tz)).toEqual([]));
  it.each([
    ['* * *', undefined, 'invalid schedule "* * *"'],
    ['61 * * * *', undefined, 'invalid schedule "61 * * * *"'],
    ['* * * * *', 'Mars/Olympus', 'invalid timezone "Mars/Olympus"'],
  ])('%s in %s is refused', (schedule, tz, message) => {
    const p = scheduleProblems(schedule, tz);
    expect(p).toHaveLength(1);
    expect(p[0]).toContain(message);
  });
});

describe('ping event', () => {
  it('has Knative type and source, a fresh id, the data and the overrides', () => {
    const c = { namespace: 'ns', name: 'beat', schedule: '* * * * *', timezone: undefined, contentType: 'application/json', data: Buffer.from('{"a":1}'), extensions: { team: 'blue' } };
    const at = new Date('2026-01-02T03:04:05Z');
    const a = pingEvent(c, at);
    const b = pingEvent(c, at);
    expect(a.attrs).toMatchObject({ specversion: '1.0', type: PING_EVENT_TYPE, source: '/apis/v1/namespaces/ns/pingsources/beat', time: '2026-01-02T03:04:05.000Z', datacontenttype: 'application/json', team: 'blue' });
    expect(a.attrs['id']).not.toBe(b.attrs['id']);
    expect(a.data?.toString()).toBe('{"a":1}');
  });
});
