import { describe, expect, it } from 'vitest';
import { DEFAULT_DOMAIN, domainProblems, hostProblem, normalizeHost, routeHost, tagHost } from './host.js';

describe('normalizeHost', () => {
  it.each([
    ['hello.default.localhost', 'hello.default.localhost'],
    ['hello.default.localhost:8080', 'hello.default.localhost'],
    ['Hello.Default.LOCALHOST:8080', 'hello.default.localhost'],
    ['hello.default.localhost.', 'hello.default.localhost'],
    ['hello.default.localhost.:8080', 'hello.default.localhost'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    ['127.0.0.1:8080', '127.0.0.1'],
    ['', ''],
    [':8080', ''],
  ])('%j → %j', (raw, want) => {
    expect(normalizeHost(raw)).toBe(want);
  });
});

describe('route and tag hosts (Knative default templates)', () => {
  it('uses localhost by default', () => {
    expect(DEFAULT_DOMAIN).toBe('localhost');
  });

  it.each([
    { name: 'hello', namespace: 'default', domain: 'localhost', tag: 'canary', route: 'hello.default.localhost', tagged: 'canary-hello.default.localhost' },
    { name: 'my-svc', namespace: 'team-a', domain: 'example.com', tag: 'v2', route: 'my-svc.team-a.example.com', tagged: 'v2-my-svc.team-a.example.com' },
  ])('$name.$namespace.$domain', ({ name, namespace, domain, tag, route, tagged }) => {
    expect(routeHost(name, namespace, domain)).toBe(route);
    expect(tagHost(tag, name, namespace, domain)).toBe(tagged);
  });
});

describe('hostProblem', () => {
  it('accepts ordinary hosts', () => {
    expect(hostProblem('canary-hello.default.localhost')).toBeUndefined();
  });

  it('refuses a <tag>-<name> label over 63 bytes', () => {
    const label = `canary-${'a'.repeat(60)}`;
    expect(hostProblem(`${label}.default.localhost`)).toBe(
      `invalid domain name "${label}.default.localhost": "${label}": must be no more than 63 characters`,
    );
  });

  it('refuses a single label', () => {
    expect(hostProblem('localhost')).toBe(
      'invalid domain name "localhost": should be a domain with at least two segments separated by dots',
    );
  });
});

describe('domainProblems', () => {
  it.each([
    ['localhost', []],
    ['example.com', []],
    ['127.0.0.1.sslip.io', []],
    [
      'Example.com',
      [
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " +
          "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
  ])('%j', (domain, want) => {
    expect(domainProblems(domain)).toEqual(want);
  });
});
