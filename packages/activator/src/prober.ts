/**
 * The activator's readiness probe of a pod's queue-proxy (Knative `pkg/activator/net/revision_backends.go`
 * `revisionWatcher.probe`): `GET /healthz` with `K-Network-Probe: queue` and `User-Agent: Knative-Activator-Probe`;
 * the pod is ready iff the answer is 200 with body `queue`. The queue-proxy answers this probe on any path (it keys
 * on the user agent), so the path only matters for compatibility: Knative uses `nethttp.HealthCheckPath`.
 *
 * node:http with one keep-alive agent for all pods: a probe connection stays open between rounds, so polling every
 * 50 ms costs one request each, not a TCP handshake each.
 */
import http from 'node:http';
import { KnativeHeaderCanonical, KnativeUserAgent, ProbeValue } from '@kdp/core';

/** Resolves true iff the pod at `host:port` is ready; never rejects (an error or an abort is "not ready"). */
export type ProbeFn = (host: string, port: number, signal: AbortSignal) => Promise<boolean>;

export interface HttpProber {
  readonly probe: ProbeFn;
  /** Destroys the keep-alive connections. */
  close(): void;
}

/** knative/networking `pkg/http/constants.go` `HealthCheckPath`. */
export const PROBE_PATH = '/healthz';

// A ready queue-proxy answers exactly "queue"; anything longer is not ready, so reading more is pointless.
const MAX_BODY = 64;

const PROBE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  [KnativeHeaderCanonical.networkProbe]: ProbeValue.queue,
  [KnativeHeaderCanonical.userAgent]: KnativeUserAgent.activator,
});

export function createHttpProber(): HttpProber {
  // One idle connection per pod is all a sequential prober needs; idle ones are dropped after 5 s so a pod that is
  // ready (and no longer probed) does not keep a probe connection forever.
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1, timeout: 5_000 });
  const probe: ProbeFn = (host, port, signal) =>
    new Promise<boolean>((resolve) => {
      if (signal.aborted) {
        resolve(false);
        return;
      }
      const req = http.request(
        { host, port, path: PROBE_PATH, method: 'GET', agent, headers: PROBE_HEADERS, signal },
        (res) => {
          let body = '';
          let tooLong = false;
          res.setEncoding('latin1');
          res.on('data', (chunk: string) => {
            if (tooLong) return;
            body += chunk;
            if (body.length > MAX_BODY) tooLong = true;
          });
          res.on('end', () => resolve(res.statusCode === 200 && !tooLong && body === ProbeValue.queue));
          res.on('error', () => resolve(false));
        },
      );
      req.on('error', () => resolve(false));
      req.end();
    });
  return {
    probe,
    close: () => agent.destroy(),
  };
}
