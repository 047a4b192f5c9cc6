// One attempt of one probe against the user container, with a deadline. Mirrors
// S:pkg/queue/health/probe.go#TCPProbe and #HTTPProbe. Probes are not the hot path (one run per health check, at
// most every 50 ms per probe while polling), so each attempt simply owns a setTimeout and a fresh connection.
//
// node:http here, not undici (the project's HTTP client, which the activator's prober and the autoscaler's scraper
// use): the first attempts run inside every cold start, and undici costs them. Loaded lazily on the first HTTP attempt
// (never at start-up), undici moved spawn → first passing httpGet probe from p50 507 to 1013 ms (p90 953 → 1583) and
// idle RSS from 56.0 to 73.1 MiB per pod, N=20 interleaved with main on the shared 2-core machine
// (bench/results/queue-proxy-startup.md, scripts/startup-bench.mjs): its CommonJS modules and llhttp's WebAssembly
// compile land on attempts whose aggressive deadline is 100 ms. node:http is loaded anyway for the side ports.
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';

import type { HttpProbeAction, ProbeAction, TcpProbeAction } from './probe-decode.js';

/** Runs one attempt; `done` is called exactly once, with `undefined` when the container answered ready. */
export type ProbeAttempt = (timeoutMs: number, done: (error: Error | undefined) => void) => void;

/**
 * Knative sends `kube-probe/<major>.<minor>` but never fills the version in, so the header is literally
 * `kube-probe//` (S:pkg/queue/health/probe.go#HTTPProbe; N:pkg/http/header/header.go#KubeProbeUAPrefix).
 */
export const PROBE_USER_AGENT = 'kube-probe//';

/** Builds the attempt function once, at setup: headers and request options are shared by every attempt. */
export function createProbeAttempt(action: ProbeAction): ProbeAttempt {
  switch (action.kind) {
    case 'tcpSocket':
      return tcpAttempt(action);
    case 'httpGet':
      return httpAttempt(action);
    default: {
      const unreachable: never = action;
      throw new TypeError(`unknown probe kind ${JSON.stringify(unreachable)}`);
    }
  }
}

function tcpAttempt(action: TcpProbeAction): ProbeAttempt {
  const { host, port } = action;
  return (timeoutMs, done) => {
    let settled = false;
    const socket = connect({ host, port });
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(error);
    };
    const timer = setTimeout(() => {
      finish(new Error(`dial tcp ${host}:${String(port)}: i/o timeout after ${String(timeoutMs)} ms`));
    }, timeoutMs);
    socket.once('connect', () => finish(undefined));
    // `on`, not `once`: a second error after settling must not become an uncaught exception.
    socket.on('error', (error) => finish(error));
  };
}

/**
 * The request Go's prober transport writes (keep-alives and connection reuse off, compression on):
 * - User-Agent is always `kube-probe//`: Go sends the first value of the header and Knative adds its own first, so a
 *   user-supplied User-Agent is dropped.
 * - A user-supplied Host header is ignored: Go's client takes the host from the URL, not from the header map.
 * - `Accept-Encoding: gzip` unless the user set one (Go's transport default).
 * - Repeated names are all sent (Header.Add).
 */
export function probeRequestHeaders(action: HttpProbeAction): OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = { 'User-Agent': PROBE_USER_AGENT };
  const nameByLower = new Map<string, string>();
  let userAcceptEncoding = false;
  for (const { name, value } of action.httpHeaders) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'user-agent') continue;
    if (lower === 'accept-encoding' || lower === 'range') userAcceptEncoding = true;
    const existing = nameByLower.get(lower);
    if (existing === undefined) {
      nameByLower.set(lower, name);
      headers[name] = value;
    } else {
      const previous = headers[existing] ?? [];
      headers[existing] = [...(Array.isArray(previous) ? previous : [previous]), value];
    }
  }
  if (!userAcceptEncoding) headers['Accept-Encoding'] = 'gzip';
  return headers;
}

function isReadyStatus(status: number): boolean {
  // S:pkg/queue/health/probe.go#isHTTPProbeReady
  return status >= 200 && status < 400;
}

// node:https (and with it tls/crypto, ~8 ms) is loaded only for an https probe: startup is cold-start latency.
const requireBuiltin = createRequire(import.meta.url);

function httpAttempt(action: HttpProbeAction): ProbeAttempt {
  const send =
    action.scheme === 'https' ? (requireBuiltin('node:https') as typeof import('node:https')).request : httpRequest;
  const options = {
    host: action.host,
    port: action.port,
    path: action.path,
    method: 'GET',
    headers: probeRequestHeaders(action),
    // No agent: a fresh connection per attempt and `Connection: close`, like Go's DisableKeepAlives.
    agent: false,
  } as const;
  const url = `${action.scheme}://${action.host}:${String(action.port)}${action.path}`;

  return (timeoutMs, done) => {
    let settled = false;
    // 0 until the status line arrives; from then on the outcome is decided and only the body drain is left.
    let status = 0;
    const statusOutcome = (): Error | undefined =>
      isReadyStatus(status) ? undefined : new Error(`HTTP probe did not respond Ready, got status code: ${String(status)}`);
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      done(error);
    };
    // One deadline for connect, headers and body, like Go's http.Client.Timeout. A body still draining at the
    // deadline does not change the outcome: Knative ignores the error of its io.Copy.
    const timer = setTimeout(() => {
      finish(status === 0 ? new Error(`GET ${url}: timeout after ${String(timeoutMs)} ms`) : statusOutcome());
    }, timeoutMs);
    const req = send(options, (res) => {
      status = res.statusCode ?? 0;
      const drained = (): void => finish(statusOutcome());
      res.on('end', drained);
      res.on('close', drained);
      res.on('error', drained);
      res.resume();
    });
    req.on('error', (error) => finish(status === 0 ? error : statusOutcome()));
    req.end();
  };
}
