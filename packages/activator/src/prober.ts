/**
 * The activator's readiness probe of a pod's queue-proxy (Knative `pkg/activator/net/revision_backends.go`
 * `revisionWatcher.probe`): `GET /healthz` with `K-Network-Probe: queue` and `User-Agent: Knative-Activator-Probe`;
 * the pod is ready iff the answer is 200 with body `queue`. The queue-proxy answers this probe on any path (it keys
 * on the user agent), so the path only matters for compatibility: Knative uses `nethttp.HealthCheckPath`.
 *
 * undici (the project's HTTP client) with one keep-alive Agent for all pods: the Agent holds one connection per pod
 * origin, so a probe connection stays open between rounds and polling every 50 ms costs one request each, not a TCP
 * handshake each. An origin whose connection is gone (pod stopped, idle timeout) is dropped by the Agent.
 */
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { KnativeHeaderCanonical, KnativeUserAgent, ProbeValue } from '@kdp/core';

/** Resolves true iff the pod at `host:port` is ready; never rejects (an error or an abort is "not ready"). */
export type ProbeFn = (host: string, port: number, signal: AbortSignal) => Promise<boolean>;

export interface HttpProber {
  readonly probe: ProbeFn;
  /** Destroys the keep-alive connections; probes in flight resolve false. */
  close(): void;
}

/** knative/networking `pkg/http/constants.go` `HealthCheckPath`. */
export const PROBE_PATH = '/healthz';

// A ready queue-proxy answers exactly "queue"; anything longer is not ready, so reading more is pointless.
const MAX_BODY = 64;

/**
 * How long an idle probe connection is kept (the server's Keep-Alive hint may shorten it): a pod that is ready, and
 * so no longer probed, does not keep a probe connection for long.
 */
const IDLE_MS = 5_000;
/**
 * Backstops for a caller whose signal never fires: no probe waits longer than this for a head or between body
 * chunks. The activator's own deadline per probe is much shorter (revision-backends.ts, 300 ms).
 */
const STALL_MS = 10_000;

const PROBE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  [KnativeHeaderCanonical.networkProbe]: ProbeValue.queue,
  [KnativeHeaderCanonical.userAgent]: KnativeUserAgent.activator,
});

/** `http://host:port`, with an IPv6 literal in brackets. */
function httpOrigin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${String(port)}`;
}

export function createHttpProber(): HttpProber {
  const agent = new Agent({
    // One connection per pod (the Agent then makes each origin a Client, not a Pool): the activator probes a pod
    // sequentially, and a Pool would open a second connection for a probe sent while the first connection is
    // still being released.
    connections: 1,
    keepAliveTimeout: IDLE_MS,
    keepAliveMaxTimeout: IDLE_MS,
    headersTimeout: STALL_MS,
    bodyTimeout: STALL_MS,
  });
  const probe: ProbeFn = (host, port, signal) =>
    new Promise<boolean>((resolve) => {
      if (signal.aborted) {
        resolve(false);
        return;
      }
      const options: Dispatcher.RequestOptions = {
        origin: httpOrigin(host, port),
        path: PROBE_PATH,
        method: 'GET',
        headers: PROBE_HEADERS,
        signal,
      };
      agent.request(options, (err, data) => {
        if (err !== null) {
          resolve(false);
          return;
        }
        readAnswer(data, resolve);
      });
    });
  return {
    probe,
    close: () => {
      agent.destroy().catch(() => undefined);
    },
  };
}

/** Ready iff 200 and the body is exactly `queue`; reads at most MAX_BODY + 1 bytes. */
function readAnswer({ statusCode, body }: Dispatcher.ResponseData, resolve: (ready: boolean) => void): void {
  let text = '';
  let settled = false;
  const settle = (ready: boolean): void => {
    if (settled) return;
    settled = true;
    resolve(ready);
  };
  if (statusCode !== 200) {
    // A small body is drained, so the connection is free for the next round; a large one costs the connection,
    // not a read.
    const notReady = (): void => settle(false);
    body.dump({ limit: MAX_BODY }).then(notReady, notReady);
    return;
  }
  body.setEncoding('latin1');
  body.on('data', (chunk: string) => {
    text += chunk;
    if (text.length > MAX_BODY) {
      // Over the cap: not ready, and the rest is never read (destroying the body closes that connection).
      settle(false);
      body.destroy();
    }
  });
  body.on('end', () => settle(text === ProbeValue.queue));
  body.on('error', () => settle(false));
  body.on('close', () => settle(false));
}
