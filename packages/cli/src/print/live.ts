// The live numbers of a revision (status.live, kdp's addition) as people read them.

import type { Revision } from '../objects/types.js';

function ms(v: number | null): string {
  if (v === null) return '-';
  return v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${v < 10 ? v.toFixed(1) : Math.round(v).toString()}ms`;
}

function rate(v: number | null): string {
  return v === null ? '-' : v >= 10 ? Math.round(v).toString() : v.toFixed(1);
}

/** `-o wide` columns of `kdp revision list`: RPS, IN-FLIGHT, P50, P99, COLD START (each `-` when unknown). */
export const LIVE_COLUMNS = ['RPS', 'IN-FLIGHT', 'P50', 'P99', 'COLD START'] as const;

export function liveCells(r: Revision): string[] {
  const l = r.status.live;
  if (l === undefined) return ['-', '-', '-', '-', '-'];
  const inFlight = l.queued > 0 ? `${String(l.inFlight)}+${String(l.queued)}q` : String(l.inFlight);
  return [rate(l.rps), inFlight, ms(l.p50Ms), ms(l.p99Ms), l.lastColdStart === null ? '-' : ms(l.lastColdStart.totalMs)];
}

/** Describe lines: traffic over the window, and the last cold start with its phases. */
export function liveFields(r: Revision): [string, string | undefined][] {
  const l = r.status.live;
  if (l === undefined) return [];
  const window = l.windowS === null ? 'no sample yet' : `last ${String(l.windowS)}s`;
  const c = l.lastColdStart;
  return [
    ['Traffic now', `${rate(l.rps)} req/s, p50 ${ms(l.p50Ms)}, p99 ${ms(l.p99Ms)} (${window}); ${String(l.inFlight)} in flight, ${String(l.queued)} queued`],
    [
      'Last cold start',
      c === null
        ? 'none yet'
        : `${ms(c.totalMs)}, ${String(c.agoS)}s ago (pod start ${ms(c.podStartMs)}, app ready ${ms(c.appReadyMs)}, first byte ${ms(c.firstByteMs)})`,
    ],
  ];
}
