// What every part of the serving reconciler shares: the store, the control plane, the clocks and the logger.
import type { KdpLogger } from '@kdp/core';
import type { ControlPlane } from '@kdp/platform';
import { timestamp, type Stamp } from '../objects/factory.js';
import type { KnativeObject } from '../objects/types.js';
import type { Store } from '../store.js';

/** The levels of core's logger the reconciler uses. */
export type ReconcilerLogger = Pick<KdpLogger, 'info' | 'warn' | 'error'>;

export const SILENT: ReconcilerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface ReconcileEnv {
  readonly store: Store;
  readonly cp: ControlPlane;
  /** Wall clock in ms. */
  readonly now: () => number;
  readonly uid: () => string;
  readonly log: ReconcilerLogger;
}

/** `namespace/name`: the key of every object in the store and of a revision in the control plane. */
export function key(o: KnativeObject): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}

/** What a new object is stamped with: now, a fresh uid, the next resourceVersion. */
export function stamp(env: ReconcileEnv): Stamp {
  return { now: timestamp(env.now()), uid: env.uid(), resourceVersion: env.store.nextResourceVersion() };
}

/** `http://<host>[:<router port>]`: how a route's host is reached through the local router. */
export function routerUrl(env: ReconcileEnv, host: string): string {
  const port = new URL(env.cp.routerUrl).port;
  return `http://${host}${port === '' ? '' : `:${port}`}`;
}
