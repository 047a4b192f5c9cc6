import { describe, expect, it } from 'vitest';

import { decodeProbes, type ProbeAction, type ProbeSpec } from './probe-decode.js';

const DEFAULTS = { userHost: '127.0.0.1', userPort: 8080 } as const;

function decodeOne(json: string): ProbeSpec {
  const result = decodeProbes(json, false, DEFAULTS);
  if (!result.ok) throw new Error(`unexpected problems: ${result.problems.join('; ')}`);
  expect(result.probes).toHaveLength(1);
  return result.probes[0]!;
}

function problemsOf(json: string, multi = false): readonly string[] {
  const result = decodeProbes(json, multi, DEFAULTS);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('decodeProbes: handlers', () => {
  it.each<[string, string, ProbeAction]>([
    ['the controller TCP encoding', '{"tcpSocket":{"port":8080,"host":"127.0.0.1"}}', { kind: 'tcpSocket', host: '127.0.0.1', port: 8080, source: 'tcpSocket' }],
    ['TCP without host or port', '{"tcpSocket":{}}', { kind: 'tcpSocket', host: '127.0.0.1', port: 8080, source: 'tcpSocket' }],
    ['TCP port 0 means the user port', '{"tcpSocket":{"port":0,"host":""}}', { kind: 'tcpSocket', host: '127.0.0.1', port: 8080, source: 'tcpSocket' }],
    ['numeric-string port', '{"tcpSocket":{"port":"9000"}}', { kind: 'tcpSocket', host: '127.0.0.1', port: 9000, source: 'tcpSocket' }],
    ['explicit host is kept', '{"tcpSocket":{"port":9000,"host":"::1"}}', { kind: 'tcpSocket', host: '::1', port: 9000, source: 'tcpSocket' }],
    ['gRPC becomes TCP to its port', '{"grpc":{"port":9090,"service":"x"}}', { kind: 'tcpSocket', host: '127.0.0.1', port: 9090, source: 'grpc' }],
    ['gRPC without port', '{"grpc":{}}', { kind: 'tcpSocket', host: '127.0.0.1', port: 8080, source: 'grpc' }],
    ['exec becomes TCP to the user port', '{"exec":{"command":["cat","/tmp/ready"]}}', { kind: 'tcpSocket', host: '127.0.0.1', port: 8080, source: 'exec' }],
    [
      'HTTP, the controller encoding',
      '{"httpGet":{"path":"/healthz","port":8080,"host":"127.0.0.1","scheme":"HTTP","httpHeaders":[{"name":"X-Probe","value":"1"}]}}',
      { kind: 'httpGet', host: '127.0.0.1', port: 8080, path: '/healthz', scheme: 'http', httpHeaders: [{ name: 'X-Probe', value: '1' }] },
    ],
    ['HTTP defaults', '{"httpGet":{}}', { kind: 'httpGet', host: '127.0.0.1', port: 8080, path: '/', scheme: 'http', httpHeaders: [] }],
    ['HTTPS, any case', '{"httpGet":{"scheme":"hTTpS","port":8443}}', { kind: 'httpGet', host: '127.0.0.1', port: 8443, path: '/', scheme: 'https', httpHeaders: [] }],
    // Knative's precedence when several are set: httpGet, tcpSocket, grpc, exec.
    ['httpGet wins over tcpSocket', '{"tcpSocket":{"port":1},"httpGet":{"port":2}}', { kind: 'httpGet', host: '127.0.0.1', port: 2, path: '/', scheme: 'http', httpHeaders: [] }],
    ['tcpSocket wins over exec', '{"exec":{},"tcpSocket":{"port":3}}', { kind: 'tcpSocket', host: '127.0.0.1', port: 3, source: 'tcpSocket' }],
    ['a null handler is absent', '{"httpGet":null,"tcpSocket":{"port":4}}', { kind: 'tcpSocket', host: '127.0.0.1', port: 4, source: 'tcpSocket' }],
    ['keys match case-insensitively, like Go', '{"TCPSocket":{"Port":5}}', { kind: 'tcpSocket', host: '127.0.0.1', port: 5, source: 'tcpSocket' }],
  ])('%s', (_name, json, action) => {
    expect(decodeOne(json).action).toEqual(action);
  });

  it.each([
    ['', '/'],
    ['/', '/'],
    ['health', '/health'],
    ['/health', '/health'],
    ['//double', '//double'],
    ['health?full=1&x=%20', '/health?full=1&x=%20'],
    ['/a#fragment', '/a'],
    ['/a b', '/a%20b'],
    ['/caf\u00e9', '/caf%C3%A9'],
    ['/ok%2F', '/ok%2F'],
  ])('path %j is requested as %j', (path, target) => {
    const action = decodeOne(JSON.stringify({ httpGet: { path } })).action;
    expect(action.kind === 'httpGet' ? action.path : undefined).toBe(target);
  });
});

describe('decodeProbes: timing fields', () => {
  it.each([
    ['{"tcpSocket":{}}', { periodSeconds: 0, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }],
    ['{"tcpSocket":{},"periodSeconds":5,"timeoutSeconds":0}', { periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }],
    ['{"tcpSocket":{},"periodSeconds":10,"timeoutSeconds":3,"successThreshold":2,"failureThreshold":7}', { periodSeconds: 10, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 7 }],
    ['{"tcpSocket":{},"successThreshold":0}', { successThreshold: 1 }],
    ['{"tcpSocket":{},"periodSeconds":null,"initialDelaySeconds":30}', { periodSeconds: 0 }],
  ])('%s', (json, expected) => {
    expect(decodeOne(json)).toMatchObject(expected);
  });
});

describe('decodeProbes: shapes', () => {
  it('an empty string is no probe at all', () => {
    expect(decodeProbes('', false, DEFAULTS)).toEqual({ ok: true, probes: [] });
    expect(decodeProbes('', true, DEFAULTS)).toEqual({ ok: true, probes: [] });
  });

  it('multi-container: an array, possibly empty', () => {
    const result = decodeProbes('[{"tcpSocket":{"port":1}},{"httpGet":{"port":2,"path":"x"}}]', true, DEFAULTS);
    expect(result.ok && result.probes.map((p) => [p.action.kind, p.action.port])).toEqual([['tcpSocket', 1], ['httpGet', 2]]);
    expect(decodeProbes('[]', true, DEFAULTS)).toEqual({ ok: true, probes: [] });
  });
});

describe('decodeProbes: problems', () => {
  it.each([
    ['{', false, /^invalid JSON: /u],
    ['null', false, /^expected a probe object, got null$/u],
    ['"tcp"', false, /^expected a probe object, got string$/u],
    ['[{"tcpSocket":{}}]', false, /^expected a JSON object, got array \(an array needs ENABLE_MULTI_CONTAINER_PROBES=true\)$/u],
    ['{"tcpSocket":{}}', true, /^expected a JSON array of probes \(ENABLE_MULTI_CONTAINER_PROBES is true\), got object$/u],
    ['[null]', true, /^\[0\]: expected a probe object, got null$/u],
    ['{}', false, /^no handler: expected one of httpGet, tcpSocket, grpc or exec$/u],
    ['{"periodSeconds":1}', false, /^no handler/u],
    ['[{"tcpSocket":{}},{"tcpSocket":{"port":"http"}}]', true, /^\[1\]\.tcpSocket\.port: named port "http" cannot be resolved by queue-proxy; use the port number$/u],
    ['{"httpGet":{"port":"web"}}', false, /^httpGet\.port: named port "web" cannot be resolved/u],
    ['{"tcpSocket":{"port":70000}}', false, /^tcpSocket\.port: port 70000 out of range 1-65535$/u],
    ['{"tcpSocket":{"port":-1}}', false, /^tcpSocket\.port: port -1 out of range 1-65535$/u],
    ['{"tcpSocket":{"port":80.5}}', false, /^tcpSocket\.port: expected an integer, got 80\.5$/u],
    ['{"tcpSocket":{"port":true}}', false, /^tcpSocket\.port: expected a number or a string, got boolean$/u],
    ['{"tcpSocket":{"host":1}}', false, /^tcpSocket\.host: expected a string, got number$/u],
    ['{"grpc":{"port":"9090"}}', false, /^grpc\.port: expected an integer, got string$/u],
    ['{"tcpSocket":"8080"}', false, /^tcpSocket: expected an object, got string$/u],
    ['{"tcpSocket":{},"exec":[]}', false, /^exec: expected an object, got array$/u],
    ['{"httpGet":{"scheme":"ftp"}}', false, /^httpGet\.scheme: unsupported scheme "ftp" \(expected HTTP or HTTPS\)$/u],
    ['{"httpGet":{"path":"/a%zz"}}', false, /^httpGet\.path: invalid %-escape in "\/a%zz"$/u],
    ['{"httpGet":{"path":"/a\\nb"}}', false, /^httpGet\.path: control character in "\/a\\nb"$/u],
    ['{"httpGet":{"httpHeaders":{}}}', false, /^httpGet\.httpHeaders: expected an array, got object$/u],
    ['{"httpGet":{"httpHeaders":[{"name":"bad name","value":"x"}]}}', false, /^httpGet\.httpHeaders\[0\]\.name: invalid header name "bad name"$/u],
    ['{"httpGet":{"httpHeaders":[{"value":"x"}]}}', false, /^httpGet\.httpHeaders\[0\]\.name: invalid header name ""$/u],
    ['{"httpGet":{"httpHeaders":[{"name":"X","value":"a\\nb"}]}}', false, /^httpGet\.httpHeaders\[0\]\.value: invalid header value "a\\nb"$/u],
    ['{"tcpSocket":{},"periodSeconds":-1}', false, /^periodSeconds: must not be negative, got -1$/u],
    ['{"tcpSocket":{},"timeoutSeconds":"1"}', false, /^timeoutSeconds: expected an integer, got string$/u],
    ['{"tcpSocket":{},"periodSeconds":1.5}', false, /^periodSeconds: expected an integer, got 1\.5$/u],
    ['{"tcpSocket":{},"successThreshold":2147483648}', false, /^successThreshold: 2147483648 out of range \[-2147483648, 2147483647\]$/u],
  ])('%s (multi=%s)', (json, multi, message) => {
    const found = problemsOf(json, multi);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('reports every problem of every probe', () => {
    expect(problemsOf('[{"tcpSocket":{"port":"a"}},{"httpGet":{"scheme":"x","port":"b"}}]', true)).toEqual([
      '[0].tcpSocket.port: named port "a" cannot be resolved by queue-proxy; use the port number',
      '[1].httpGet.port: named port "b" cannot be resolved by queue-proxy; use the port number',
      '[1].httpGet.scheme: unsupported scheme "x" (expected HTTP or HTTPS)',
    ]);
  });
});
