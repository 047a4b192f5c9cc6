import { KDP_ERRORS, KdpBaseError } from '@kdp/core';
import { describe, expect, it } from 'vitest';
import { Refusal } from './broker-engine.js';
import { InvalidEventError } from './cloudevent.js';

describe('eventing errors in the kdp lineage', () => {
  it.each([
    ['time', 'not an RFC 3339 timestamp', 'time: not an RFC 3339 timestamp'],
    ['', 'body is not JSON', 'body is not JSON'],
  ])('InvalidEventError(%j, %j) says %j, code KDP_ERR_INVALID_EVENT', (attribute, reason, message) => {
    const e = new InvalidEventError(attribute, reason);
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e.name).toBe('InvalidEventError');
    expect(e.code).toBe('KDP_ERR_INVALID_EVENT');
    expect(Object.hasOwn(KDP_ERRORS, e.code)).toBe(true);
    expect(e.attribute).toBe(attribute);
    expect(e.reason).toBe(reason);
    expect(e.message).toBe(message);
  });

  it('Refusal keeps its kind and message, code KDP_ERR_EVENT_REFUSED', () => {
    const e = new Refusal('overloaded', 'too many undelivered events');
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e.name).toBe('Refusal');
    expect(e.code).toBe('KDP_ERR_EVENT_REFUSED');
    expect(Object.hasOwn(KDP_ERRORS, e.code)).toBe(true);
    expect(e.kind).toBe('overloaded');
    expect(e.message).toBe('too many undelivered events');
  });
});
