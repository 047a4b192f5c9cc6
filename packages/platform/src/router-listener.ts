/**
 * The router's listener: the route table (empty until the object layer sets routes), the router's request path
 * (@kdp/router `createRouterHandler`: Host → route → revision) in front of a revision handler (the in-process
 * activator), on core's HTTP/1.1 engine with the fallback engine for what its fast path does not take.
 */
import { createFallbackEngine, Http1Engine } from '@kdp/core';
import { createRouterHandler, RouteTable, RouteTableRef } from '@kdp/router';
import type { RevisionHandler } from '@kdp/router';
import type { ResolvedOptions } from './options.js';

export interface RouterListener {
  /** The table the request path reads; `update` swaps it whole. */
  readonly routes: RouteTableRef;
  readonly engine: Http1Engine;
  /** `http://<routerHost>:<port>`, an IPv6 host in brackets. */
  readonly url: string;
}

/** Listens on `routerHost:routerPort`; if that fails the engine is closed and the error thrown. */
export async function listenRouter(o: ResolvedOptions, revisionHandler: RevisionHandler): Promise<RouterListener> {
  const { logger } = o;
  const routes = new RouteTableRef(
    RouteTable.build({ routes: [], domain: o.domain, tagHeaderRouting: o.tagHeaderRouting }),
  );
  const handler = createRouterHandler(routes, revisionHandler, o.source.hostForwards);
  const fallback = createFallbackEngine({
    handler,
    onHandlerError: (err) => logger.error({ err }, 'router handler threw'),
  });
  const engine = new Http1Engine({ handler, fallback });
  let port: number;
  try {
    port = await engine.listen(o.routerPort, o.routerHost);
  } catch (err) {
    await engine.close(0);
    throw err;
  }
  const hostForUrl = o.routerHost.includes(':') ? `[${o.routerHost}]` : o.routerHost;
  return { routes, engine, url: `http://${hostForUrl}:${String(port)}` };
}
