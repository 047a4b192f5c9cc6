/**
 * One Service's endpoints as the activator needs them, from either API: v1 Endpoints (what Knative's activator
 * watches; `endpointsToDests` and `healthyAddresses` in serving pkg/activator/net/helpers.go) or discovery.k8s.io/v1
 * EndpointSlices (several per Service, merged). Addresses are `"ip:port"` of the port named `http`.
 */
import type { KubeObject } from '@kdp/kube';

/** `ServicePortName(ProtocolHTTP1)`: kdp proxies HTTP/1 to the queue-proxy (h2c arrives and leaves as HTTP/1). */
const HTTP_PORT_NAME = 'http';

interface EndpointAddress {
  readonly ip: string;
}
export interface EndpointsObject extends KubeObject {
  readonly subsets?: readonly {
    readonly addresses?: readonly EndpointAddress[];
    readonly notReadyAddresses?: readonly EndpointAddress[];
    readonly ports?: readonly { readonly name?: string; readonly port: number }[];
  }[];
}
export interface EndpointSliceObject extends KubeObject {
  readonly addressType?: string;
  readonly endpoints?: readonly { readonly addresses?: readonly string[]; readonly conditions?: { readonly ready?: boolean | null } }[];
  readonly ports?: readonly { readonly name?: string | null; readonly port?: number | null }[] | null;
}

/** One Service's endpoints, whichever API they came from. */
export interface EndpointsView {
  readonly ready: ReadonlySet<string>;
  readonly notReady: ReadonlySet<string>;
  readonly readyIps: ReadonlySet<string>;
}

export const EMPTY_VIEW: EndpointsView = { ready: new Set(), notReady: new Set(), readyIps: new Set() };

export function endpointsView(e: EndpointsObject): EndpointsView {
  const ready = new Set<string>();
  const notReady = new Set<string>();
  const readyIps = new Set<string>();
  for (const subset of e.subsets ?? []) {
    for (const port of subset.ports ?? []) {
      if (port.name !== HTTP_PORT_NAME) continue;
      for (const a of subset.addresses ?? []) {
        ready.add(joinHostPort(a.ip, port.port));
        readyIps.add(a.ip);
      }
      for (const a of subset.notReadyAddresses ?? []) notReady.add(joinHostPort(a.ip, port.port));
    }
  }
  return { ready, notReady, readyIps };
}

export function slicesView(slices: Iterable<EndpointSliceObject>): EndpointsView {
  const ready = new Set<string>();
  const notReady = new Set<string>();
  const readyIps = new Set<string>();
  for (const s of slices) {
    if (s.addressType === 'FQDN') continue;
    const port = (s.ports ?? []).find((p) => p.name === HTTP_PORT_NAME)?.port;
    if (port === undefined || port === null) continue;
    for (const ep of s.endpoints ?? []) {
      // EndpointSlice conditions.ready: nil means ready (discovery/v1 docs); Endpoints' notReadyAddresses = false.
      const isReady = ep.conditions?.ready !== false;
      for (const ip of ep.addresses ?? []) {
        if (isReady) {
          ready.add(joinHostPort(ip, port));
          readyIps.add(ip);
        } else notReady.add(joinHostPort(ip, port));
      }
    }
  }
  return { ready, notReady, readyIps };
}

function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${String(port)}` : `${ip}:${String(port)}`;
}
