import { describe, expect, it } from 'vitest';
import { RuntimeConfigError } from './errors.js';
import {
  makeRevision,
  queueProxyEnv,
  readinessProbeJSON,
  revisionKey,
  userEnv,
  type PodPorts,
  type Probe,
  type RevisionInput,
} from './revision-spec.js';

const ports: PodPorts = { user: 41001, queue: 41002, queueTls: 41003, admin: 41004, metrics: 41005, userMetrics: 41006 };

function rev(over: Partial<RevisionInput> = {}, probe?: Probe, containerPort?: number) {
  return makeRevision({
    namespace: 'ns1',
    name: 'hello-00001',
    service: 'hello',
    configuration: 'hello',
    ...over,
    container: {
      command: ['node', 'server.js'],
      ...(probe === undefined ? {} : { readinessProbe: probe }),
      ...(containerPort === undefined ? {} : { ports: [{ containerPort }] }),
      ...over.container,
    },
  });
}

describe('makeRevision', () => {
  it('applies Knative defaults and freezes the result deeply', () => {
    const r = makeRevision({ name: 'r1', container: { command: ['app'] } });
    expect(r).toEqual({
      namespace: 'default',
      name: 'r1',
      service: '',
      configuration: '',
      container: { name: 'user-container', command: ['app'], args: [], env: [], ports: [] },
      containerConcurrency: 0,
      timeoutSeconds: 300,
      annotations: {},
    });
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.container.command)).toBe(true);
    expect(revisionKey(r)).toBe('default/r1');
  });

  it('copies its input, so later changes to the input do not leak in', () => {
    const env = [{ name: 'A', value: '1' }];
    const r = makeRevision({ name: 'r1', container: { command: ['app'], env } });
    env[0] = { name: 'A', value: '2' };
    expect(r.container.env).toEqual([{ name: 'A', value: '1' }]);
  });

  it('reports every problem at once with code KDP_ERR_CONFIG', () => {
    let err: unknown;
    try {
      makeRevision({
        namespace: 'Bad_NS',
        name: '1bad',
        container: {
          command: [],
          env: [
            { name: 'PORT', value: '1' },
            { name: 'X', value: '1' },
            { name: 'X', value: '2' },
          ],
          ports: [{ containerPort: 8012 }],
          readinessProbe: { httpGet: {}, tcpSocket: {} },
        },
        containerConcurrency: -1,
        timeoutSeconds: 601,
        idleTimeoutSeconds: 1.5,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeConfigError);
    const e = err as RuntimeConfigError;
    expect(e.code).toBe('KDP_ERR_CONFIG');
    expect(e.lines).toEqual([
      'namespace: "Bad_NS" is not a DNS-1123 label',
      'name: "1bad" is not a DNS-1035 label',
      'container.command: must name a program (there is no image entrypoint locally)',
      'container.env[0].name: PORT is reserved (Knative sets it)',
      'container.env[2].name: X is defined twice',
      'container.ports[0].containerPort: 8012 is reserved for the queue-proxy',
      'container.readinessProbe: at most one handler may be set',
      'containerConcurrency: must be an integer in 0..1000',
      'timeoutSeconds: must be an integer in 0..600',
      'idleTimeoutSeconds: must be an integer in 0..timeoutSeconds (601)',
    ]);
  });
});

describe('readinessProbeJSON (queue.go applyReadinessProbeDefaults)', () => {
  it.each<[string, Probe | undefined, number | undefined, string]>([
    ['default probe', undefined, undefined, '{"tcpSocket":{"port":41001,"host":"127.0.0.1"}}'],
    ['empty tcpSocket', { tcpSocket: {} }, undefined, '{"tcpSocket":{"port":41001,"host":"127.0.0.1"}}'],
    [
      'tcpSocket on the declared port is remapped',
      { tcpSocket: { port: 9000 }, periodSeconds: 2 },
      9000,
      '{"tcpSocket":{"port":41001,"host":"127.0.0.1"},"timeoutSeconds":1,"periodSeconds":2}',
    ],
    [
      'httpGet gets host, scheme and port; headers and thresholds kept',
      {
        httpGet: { path: '/healthz', httpHeaders: [{ name: 'X-A', value: 'b' }] },
        successThreshold: 2,
        failureThreshold: 4,
      },
      undefined,
      '{"httpGet":{"path":"/healthz","port":41001,"host":"127.0.0.1","scheme":"HTTP",' +
        '"httpHeaders":[{"name":"X-A","value":"b"}]},"successThreshold":2,"failureThreshold":4}',
    ],
    [
      'httpGet with a named port points at the user port',
      { httpGet: { port: 'http', scheme: 'HTTPS' } },
      undefined,
      '{"httpGet":{"port":41001,"host":"127.0.0.1","scheme":"HTTPS"}}',
    ],
    [
      'httpGet on another explicit port keeps it',
      { httpGet: { port: 8081, path: '/ready' } },
      undefined,
      '{"httpGet":{"path":"/ready","port":8081,"host":"127.0.0.1","scheme":"HTTP"}}',
    ],
    [
      'exec becomes a TCP probe of the user port',
      { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 5, timeoutSeconds: 3 },
      undefined,
      '{"tcpSocket":{"port":41001,"host":"127.0.0.1"},"timeoutSeconds":3,"periodSeconds":5}',
    ],
    ['grpc gets the port and an empty service', { grpc: {} }, undefined, '{"grpc":{"port":41001,"service":""}}'],
  ])('%s', (_name, probe, containerPort, want) => {
    const r = rev({}, probe, containerPort);
    expect(readinessProbeJSON(r, ports.user)).toBe(want);
  });
});

describe('queueProxyEnv', () => {
  it('is the env makeQueueContainer builds, with local ports and the kdp extensions', () => {
    const r = rev({
      containerConcurrency: 10,
      timeoutSeconds: 120,
      responseStartTimeoutSeconds: 30,
      annotations: { 'features.knative.dev/http-full-duplex': 'enabled', 'autoscaling.knative.dev/target': '5' },
    });
    expect(queueProxyEnv(r, ports, 'hello-00001-1', { drainQuietPeriodSeconds: 2 })).toEqual({
      SERVING_NAMESPACE: 'ns1',
      SERVING_SERVICE: 'hello',
      SERVING_CONFIGURATION: 'hello',
      SERVING_REVISION: 'hello-00001',
      QUEUE_SERVING_PORT: '41002',
      QUEUE_SERVING_TLS_PORT: '41003',
      CONTAINER_CONCURRENCY: '10',
      REVISION_TIMEOUT_SECONDS: '120',
      REVISION_RESPONSE_START_TIMEOUT_SECONDS: '30',
      REVISION_IDLE_TIMEOUT_SECONDS: '0',
      SERVING_POD: 'hello-00001-1',
      SERVING_POD_IP: '127.0.0.1',
      SERVING_LOGGING_CONFIG: '',
      SERVING_LOGGING_LEVEL: '',
      USER_PORT: '41001',
      SYSTEM_NAMESPACE: 'knative-serving',
      SERVING_READINESS_PROBE: '{"tcpSocket":{"port":41001,"host":"127.0.0.1"}}',
      HOST_IP: '127.0.0.1',
      ENABLE_HTTP2_AUTO_DETECTION: 'false',
      ENABLE_HTTP_FULL_DUPLEX: 'true',
      ROOT_CA: '',
      QUEUE_PROXY_TLS_MIN_VERSION: '',
      QUEUE_PROXY_TLS_MAX_VERSION: '',
      QUEUE_PROXY_TLS_CIPHER_SUITES: '',
      QUEUE_PROXY_TLS_CURVE_PREFERENCES: '',
      ENABLE_MULTI_CONTAINER_PROBES: 'false',
      OBSERVABILITY_CONFIG: '',
      KDP_ADMIN_PORT: '41004',
      KDP_METRICS_PORT: '41005',
      KDP_USER_METRICS_PORT: '41006',
      KDP_BIND_HOST: '127.0.0.1',
      KDP_DRAIN_QUIET_PERIOD_SECONDS: '2',
    });
  });

  it('leaves the drain quiet period to the queue-proxy when not configured', () => {
    expect(queueProxyEnv(rev(), ports, 'p')).not.toHaveProperty('KDP_DRAIN_QUIET_PERIOD_SECONDS');
  });
});

describe('userEnv', () => {
  it('is the container env plus PORT and the K_ variables', () => {
    const r = rev({ container: { command: ['app'], env: [{ name: 'GREETING', value: 'hi' }] } });
    expect(userEnv(r, 41001)).toEqual({
      GREETING: 'hi',
      PORT: '41001',
      K_REVISION: 'hello-00001',
      K_CONFIGURATION: 'hello',
      K_SERVICE: 'hello',
    });
  });
});
