import { describe, expect, it } from 'vitest';
import { serveConfig } from './config.js';

describe('kdp serve configuration: the API allowed hosts', () => {
  it.each([
    [{}, {}, ['127.0.0.1']],
    [{ 'api-allowed-hosts': 'kdp.test, Other.Example' }, {}, ['kdp.test', 'other.example', '127.0.0.1']],
    [{}, { KDP_API_ALLOWED_HOSTS: '[fd00::1]' }, ['[fd00::1]', '127.0.0.1']],
    [{ 'api-host': '0.0.0.0' }, {}, []],
    [{ 'api-host': '::1' }, {}, ['[::1]']],
  ])('flags %j env %j → %j', (flags, env, want) => {
    expect(serveConfig(flags, env, '/')).toMatchObject({ apiAllowedHosts: want });
  });

  it('names the variable and the reason for a bad host', () => {
    expect(() => serveConfig({ 'api-allowed-hosts': 'http://x:80' }, {}, '/')).toThrow(
      'invalid kdp serve configuration:\n  --api-allowed-hosts: "http://x:80" is not a host name (no port, no scheme; IPv6 in brackets)',
    );
    expect(() => serveConfig({}, { KDP_API_ALLOWED_HOSTS: 'a b' }, '/')).toThrow('KDP_API_ALLOWED_HOSTS: "a b" is not a host name');
  });
});
