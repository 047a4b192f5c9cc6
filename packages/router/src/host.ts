// Host names of routes, and the normalisation of a request's Host before it is looked up. The router never parses
// a host into (tag, service, namespace): a service may be called `canary-hello`, so `canary-hello.default.<domain>`
// is ambiguous by parsing. The route table generates every host it serves, exactly as Knative's templates do, and
// looks the request's host up in a Map (route-table.ts); ambiguity is then a collision it can see and resolve.

import { dns1123LabelErrors, dns1123SubdomainErrors, goQuote } from './k8s-names.js';

/**
 * The default domain: `localhost`, so a route is `hello.default.localhost` and a tag `canary-hello.default.localhost`.
 * Chosen because it needs no DNS set-up on the machine running kdp:
 * - curl ≥ 7.78 resolves `*.localhost` to loopback itself; checked here with curl 7.88.1:
 *   `curl http://hello.default.localhost:<port>/` connects to 127.0.0.1 and sends that Host, although the system
 *   resolver does not know the name (below), so curl resolves it itself;
 * - Chrome and Firefox send `*.localhost` to loopback themselves (RFC 6761 §6.3 lets them); other browsers follow
 *   the OS resolver;
 * - `127.0.0.1.sslip.io`/`nip.io` need a working resolver and Internet access: `curl` failed with "Could not
 *   resolve host" on this machine;
 * - Knative's own default, `svc.cluster.local`, only resolves inside a cluster.
 * The catch: the system resolver may not know `*.localhost` (glibc without nss-myhostname: `getent hosts
 * hello.default.localhost` finds nothing here), and Node's `dns.lookup` follows it. Programs other than curl and
 * browsers should connect to 127.0.0.1 and send the Host header.
 */
export const DEFAULT_DOMAIN = 'localhost';

/**
 * Knative's default domain template `{{.Name}}.{{.Namespace}}.{{.Domain}}` (knative/networking pkg/config
 * DefaultDomainTemplate).
 */
export function routeHost(name: string, namespace: string, domain: string): string {
  return `${name}.${namespace}.${domain}`;
}

/** Knative's default tag template `{{.Tag}}-{{.Name}}` (DefaultTagTemplate) inside the domain template. */
export function tagHost(tag: string, name: string, namespace: string, domain: string): string {
  return routeHost(`${tag}-${name}`, namespace, domain);
}

/**
 * Why a generated host cannot be served, as Knative's DomainNameFromTemplate refuses it (IsFullyQualifiedDomainName:
 * a DNS-1123 subdomain of at least two labels, each a DNS-1123 label, so at most 63 bytes: `<tag>-<name>` counts).
 * Undefined when it is fine.
 */
export function hostProblem(host: string): string | undefined {
  const sub = dns1123SubdomainErrors(host);
  if (sub.length > 0) return `invalid domain name ${goQuote(host)}: ${sub.join(',')}`;
  const labels = host.split('.');
  if (labels.length < 2) {
    return `invalid domain name ${goQuote(host)}: should be a domain with at least two segments separated by dots`;
  }
  for (const label of labels) {
    const errs = dns1123LabelErrors(label);
    if (errs.length > 0) return `invalid domain name ${goQuote(host)}: ${goQuote(label)}: ${errs.join(',')}`;
  }
  return undefined;
}

/** Problems with a configured domain (a lowercase DNS-1123 subdomain, e.g. `localhost` or `example.com`). */
export function domainProblems(domain: string): string[] {
  return dns1123SubdomainErrors(domain);
}

/**
 * A request's Host as the route table keys it: the port removed (`host:port`, `[v6]:port`), one trailing dot
 * removed (`hello.default.localhost.` is the same name), lowercased (host names are case-insensitive). Envoy, and
 * so Knative with Kourier, would not match a trailing-dot host; kdp does.
 */
export function normalizeHost(host: string): string {
  let end = host.length;
  if (host.charCodeAt(0) === 0x5b /* '[' */) {
    const close = host.indexOf(']');
    if (close >= 0) end = close + 1;
  } else {
    // A Host header holds at most one ':' (before the port); a bare IPv6 address is not a valid Host.
    const colon = host.indexOf(':');
    if (colon >= 0) end = colon;
  }
  if (end > 0 && host.charCodeAt(end - 1) === 0x2e /* '.' */) end--;
  return (end === host.length ? host : host.slice(0, end)).toLowerCase();
}
