// A ControlPlane that records what the object layer asks of it and lets a test say when revisions become ready or
// fail: the reconciler, the API and the CLI can then be tested without pods.

import { EventEmitter } from 'node:events';
import { RouteTable, type RouteInput } from '@kdp/router';
import { revisionKey, type Revision } from '@kdp/runtime';
import type { ControlPlane, ControlPlaneEvents, LiveRevisionNumbers, RevisionRuntimeStatus } from '@kdp/platform';

const NO_LIVE: LiveRevisionNumbers = Object.freeze({
  inFlight: 0,
  queued: 0,
  windowS: null,
  rps: null,
  p50Ms: null,
  p99Ms: null,
  lastColdStart: null,
});

export class FakeControlPlane implements ControlPlane {
  readonly routerUrl: string;
  readonly domain: string;
  readonly events = new EventEmitter<ControlPlaneEvents>();
  readonly revisions = new Map<string, Revision>();
  /** Every revision key passed to addRevision, in order (re-adds included). */
  readonly added: string[] = [];
  readonly removed: string[] = [];
  /** Every route table set, newest last. */
  readonly tables: (readonly RouteInput[])[] = [];
  readonly pods = new Map<string, number>();
  stopped = false;
  /** Called after each addRevision, e.g. to report the revision ready a moment later. */
  onAdd: ((key: string) => void) | undefined;

  constructor(o: { routerUrl?: string; domain?: string } = {}) {
    this.routerUrl = o.routerUrl ?? 'http://127.0.0.1:8080';
    this.domain = o.domain ?? 'localhost';
  }

  get routes(): readonly RouteInput[] | undefined {
    return this.tables.at(-1);
  }

  addRevision(rev: Revision): void {
    const key = revisionKey(rev);
    const existing = this.revisions.get(key);
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(rev)) {
      throw new Error(`revision ${key} already exists with a different spec; revisions are immutable`);
    }
    this.revisions.set(key, rev);
    this.added.push(key);
    this.pods.set(key, 1);
    this.onAdd?.(key);
  }

  /** Live numbers a test sets per revision (default: nothing measured yet). */
  readonly live = new Map<string, LiveRevisionNumbers>();

  removeRevision(key: string): Promise<void> {
    this.revisions.delete(key);
    this.pods.delete(key);
    this.removed.push(key);
    return Promise.resolve();
  }

  revisionStatus(key: string): RevisionRuntimeStatus | undefined {
    if (!this.revisions.has(key)) return undefined;
    const pods = this.pods.get(key) ?? 0;
    return {
      key,
      everReady: true,
      readyPods: pods,
      actualPods: pods,
      desiredPods: pods,
      failure: null,
      pods: [],
      routingState: 'active',
      autoscaling: null,
      live: this.live.get(key) ?? NO_LIVE,
    };
  }

  setRoutes(routes: readonly RouteInput[]): void {
    // The real one validates the same way and throws without changing anything.
    RouteTable.build({ routes, domain: this.domain });
    this.tables.push(structuredClone(routes));
  }

  metricsText(): Promise<string> {
    return Promise.resolve('');
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  ready(key: string): void {
    this.events.emit('revisionReady', key);
  }

  fail(key: string, reason: string, message: string): void {
    this.events.emit('revisionFailed', key, reason, message);
  }

  /** The default split of one route in the current table, as `rev=percent` strings. */
  split(ns: string, name: string): string[] {
    const r = this.routes?.find((x) => x.namespace === ns && x.name === name);
    return r === undefined ? [] : r.split.map((s) => `${s.revisionName}=${s.percent}`);
  }
}
