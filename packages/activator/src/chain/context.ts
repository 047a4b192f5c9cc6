/**
 * The context handler (Knative `pkg/activator/handler/context_handler.go`): which revision the request is for, and
 * 404 with Knative's text when the activator does not know it. Two forms, one per entry point:
 *  - `contextFromKey`: in-process, the router already found the revision (`namespace/name`);
 *  - `contextFromRequest`: standalone, from the `Knative-Serving-*` headers or the Host (`revision-id.ts`).
 */
import { errorHeaders } from '@kdp/core';
import type { Exchange, Logger } from '@kdp/core';
import { revisionIdOf } from '../revision-id.js';
import { revisionKey } from '../revisions.js';
import type { Revisions } from '../revisions.js';
import type { EntryHandler, KeyedHandler } from './request.js';

const NOT_FOUND = errorHeaders('not-found');

/** Knative's 404: `Error getting active endpoint: ` + the Kubernetes NotFound error text. */
export function respondNotFound(ex: Exchange, namespace: string, name: string, logger: Logger): void {
  ex.respond(404, NOT_FOUND, `Error getting active endpoint: revision.serving.knative.dev "${name}" not found\n`);
  if (namespace === '' && name === '') return;
  logger.debug({ revision: revisionKey(namespace, name) }, 'request for an unknown revision');
}

export function contextFromKey(revisions: Revisions, logger: Logger, next: EntryHandler): KeyedHandler<string> {
  return (ex, revKey) => {
    const entry = revisions.get(revKey);
    if (entry !== undefined) {
      next(ex, entry);
      return;
    }
    const slash = revKey.indexOf('/');
    respondNotFound(ex, slash === -1 ? '' : revKey.slice(0, slash), revKey.slice(slash + 1), logger);
  };
}

export function contextFromRequest(revisions: Revisions, clusterDomain: string, logger: Logger, next: EntryHandler): KeyedHandler<void> {
  return (ex) => {
    const id = revisionIdOf(ex, clusterDomain);
    const entry = revisions.get(revisionKey(id.namespace, id.name));
    if (entry !== undefined) next(ex, entry);
    else respondNotFound(ex, id.namespace, id.name, logger);
  };
}
