import { describe, expect, it } from 'vitest';
import { binaryHeaders, fromBinary, fromStructured, InvalidEventError, toStructured } from './cloudevent.js';

const base = { 'ce-specversion': '1.0', 'ce-id': 'a1', 'ce-source': '/src', 'ce-type': 't' };

function attrError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidEventError) return err.attribute;
    throw err;
  }
  throw new Error('no error');
}

describe('binary mode', () => {
  it('reads ce-* headers, content type and body; percent-decodes values', () => {
    const e = fromBinary({ ...base, 'content-type': 'application/json', 'ce-myext': 'a%20b%25', host: 'x' }, Buffer.from('{"a":1}'));
    expect(e.attrs).toEqual({ specversion: '1.0', id: 'a1', source: '/src', type: 't', datacontenttype: 'application/json', myext: 'a b%' });
    expect(e.data?.toString()).toBe('{"a":1}');
  });
  it('accepts 0.3', () => {
    expect(fromBinary({ ...base, 'ce-specversion': '0.3', 'ce-schemaurl': 'http://s' }, Buffer.alloc(0)).attrs['schemaurl']).toBe('http://s');
  });
  it.each([
    [{ ...base, 'ce-id': '' }, 'id'],
    [{ 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-type': 't' }, 'source'],
    [{ 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-source': 's' }, 'type'],
    [{ 'ce-id': 'x', 'ce-source': 's', 'ce-type': 't' }, 'specversion'],
    [{ ...base, 'ce-specversion': '2.0' }, 'specversion'],
    [{ ...base, 'ce-time': 'yesterday' }, 'time'],
    [{ ...base, 'ce-my_ext': 'x' }, 'my_ext'],
    [{ ...base, 'ce-subject': '' }, 'subject'],
  ])('refuses %j naming %s', (headers, attr) => {
    expect(attrError(() => fromBinary(headers, Buffer.alloc(0)))).toBe(attr);
  });
  it('writes binary headers without the omitted attribute, encoding what is not printable ASCII', () => {
    const h = binaryHeaders({ attrs: { specversion: '1.0', id: 'é"', datacontenttype: 'text/plain', knativebrokerttl: '5' }, data: undefined }, 'knativebrokerttl');
    expect(h).toEqual(['ce-specversion', '1.0', 'ce-id', '%C3%A9%22', 'content-type', 'text/plain']);
  });
});

describe('structured mode', () => {
  it('reads JSON data, data_base64, numbers and booleans as strings', () => {
    const e = fromStructured(Buffer.from(JSON.stringify({ specversion: '1.0', id: '1', source: 's', type: 't', n: 3, b: true, data: { x: 1 } })));
    expect(e.attrs).toMatchObject({ n: '3', b: 'true', datacontenttype: 'application/json' });
    expect(e.data?.toString()).toBe('{"x":1}');
    const b = fromStructured(Buffer.from(JSON.stringify({ specversion: '1.0', id: '1', source: 's', type: 't', datacontenttype: 'application/octet-stream', data_base64: 'AAEC' })));
    expect([...(b.data ?? [])]).toEqual([0, 1, 2]);
  });
  it('reads 0.3 base64 data and drops datacontentencoding', () => {
    const e = fromStructured(Buffer.from(JSON.stringify({ specversion: '0.3', id: '1', source: 's', type: 't', datacontentencoding: 'base64', data: 'aGk=' })));
    expect(e.data?.toString()).toBe('hi');
    expect(e.attrs['datacontentencoding']).toBeUndefined();
  });
  it('text data stays text', () => {
    const e = fromStructured(Buffer.from(JSON.stringify({ specversion: '1.0', id: '1', source: 's', type: 't', datacontenttype: 'text/plain', data: 'hello' })));
    expect(e.data?.toString()).toBe('hello');
    expect(toStructured(e)).toMatchObject({ data: 'hello' });
  });
  it.each([
    ['not json', ''],
    ['[1]', ''],
    [JSON.stringify({ specversion: '1.0', source: 's', type: 't' }), 'id'],
    [JSON.stringify({ specversion: '1.0', id: '1', source: 's', type: 't', ext: { a: 1 } }), 'ext'],
  ])('refuses %s naming %j', (body, attr) => {
    expect(attrError(() => fromStructured(Buffer.from(body)))).toBe(attr);
  });
});
