/**
 * Which revision a request to the standalone activator is for (Knative `pkg/activator/handler/context_handler.go`):
 * the `Knative-Serving-Namespace` and `Knative-Serving-Revision` headers the ingress adds per split; if either is
 * empty, a Host of exactly `<rev>.<ns>.svc.<cluster-domain>[:port]`.
 */
import type { HeaderReader } from '@kdp/core';
import { revisionKey } from './revisions.js';

export interface RevisionId {
  readonly namespace: string;
  readonly name: string;
}

/** The revision named by the request; empty strings when it names none (Knative then looks up "" and 404s). */
export function revisionIdOf(req: HeaderReader, clusterDomain: string): RevisionId {
  const namespace = req.header('knative-serving-namespace') ?? '';
  const name = req.header('knative-serving-revision') ?? '';
  if (namespace !== '' && name !== '') return { namespace, name };
  // Go: strings.SplitN(host, ".", 4), so the fourth part keeps its dots (`cluster.local`) and any `:port`.
  const host = req.header('host') ?? '';
  const a = host.indexOf('.');
  const b = a === -1 ? -1 : host.indexOf('.', a + 1);
  const c = b === -1 ? -1 : host.indexOf('.', b + 1);
  if (c !== -1 && host.slice(b + 1, c) === 'svc') {
    const rest = host.slice(c + 1);
    const colon = rest.indexOf(':');
    if ((colon === -1 ? rest : rest.slice(0, colon)) === clusterDomain) {
      return { namespace: host.slice(a + 1, b), name: host.slice(0, a) };
    }
  }
  return { namespace, name };
}

/** `revisionIdOf` as the table key. */
export function revisionKeyOf(req: HeaderReader, clusterDomain: string): string {
  const id = revisionIdOf(req, clusterDomain);
  return revisionKey(id.namespace, id.name);
}
