/**
 * Differential harness (issue 7): the same raw bytes go (a) straight to a node:http app and (b) through kdp's
 * HTTP/1.1 engine (fast path + node:http fallback, as every kdp proxy wires them) to an identical node:http app.
 * A tap between kdp and the app records every byte kdp sends upstream; an independent reader (`parseCanonical`)
 * turns those bytes into messages. Then:
 *  - what the app behind kdp saw, per upstream connection, must be exactly those messages (boundaries, methods,
 *    targets, bodies): no desynchronisation, nothing smuggled;
 *  - those messages must be in canonical form and match, in order, the requests kdp's handler accepted;
 *  - where both kdp and node:http accepted a request, they agree on it; on framing inputs kdp accepts no more
 *    requests than node:http;
 *  - kdp answers or closes within a bound far below its 60 s head timeout, and a fresh connection still works.
 */
import http from 'node:http';
import type { AppRequest, TapConn } from './diff-app.test-util.js';
import { sendSegments } from './diff-kdp.test-util.js';
import type { DiffEnv } from './diff-kdp.test-util.js';
import { parseCanonical, parseResponses } from './diff-wire.test-util.js';
import type { CanonicalParse, WireRequest, WireResponse } from './diff-wire.test-util.js';

// The harness's parts, under the one import path the differential tests use.
export { RecordingApp, Tap } from './diff-app.test-util.js';
export type { AppError, AppRequest, TapConn } from './diff-app.test-util.js';
export { EDITS, inProcessTarget, sendSegments, startDiffEnv, startKdp } from './diff-kdp.test-util.js';
export type { Accepted, ClientResult, DiffEnv, KdpFixture, KdpTarget, Pacing } from './diff-kdp.test-util.js';

/** kdp must answer or close within this bound (its head timeout is 60 s). Generous: the machine is shared. */
export const HANG_BOUND_MS = 3000;
/** How long node:http directly is given to settle an input it neither answers fully nor closes. */
const NODE_BOUND_MS = 1000;

// ------------------------------------------------------------------------------------------ one differential run

export interface Req {
  readonly method: string;
  readonly target: string;
  readonly body: string;
}

export interface NodeVerdict {
  readonly statuses: number[];
  readonly closed: boolean;
  readonly accepted: Req[];
  readonly errors: string[];
}

export interface KdpVerdict {
  readonly statuses: number[];
  readonly closed: boolean;
  readonly settledMs: number;
  readonly accepted: Req[];
  /** Requests kdp's handler saw (some may not have left: answered locally, or 502). */
  readonly handled: number;
  readonly appSaw: Req[];
  readonly appErrors: string[];
}

export interface Failure {
  /** Root-cause tag: the "failed invariants" column of the verdict table (docs/http1-differential.md). */
  readonly kind: string;
  readonly detail: string;
  /** The upstream (tap) connection concerned, when one is. */
  readonly conn?: number;
}

const asReq = (m: string, t: string, b: Buffer): Req => ({ method: m, target: t, body: b.toString('latin1') });
const show = (r: Req): string => `${r.method} ${JSON.stringify(r.target)} body=${JSON.stringify(r.body.length > 40 ? `${r.body.slice(0, 40)}…(${String(r.body.length)})` : r.body)}`;
const same = (a: Req, b: Req): boolean => a.method === b.method && a.target === b.target && a.body === b.body;

/** Sends `raw` once to node:http directly and returns its verdict. */
export async function runDirect(env: DiffEnv, raw: Buffer): Promise<NodeVerdict> {
  env.direct.reset();
  // Settled once every request node:http emitted (and its parse error, if any) has been answered.
  const d = env.direct;
  const r = await sendSegments(
    env.direct.port,
    [raw],
    (b) => {
      const expected = d.requests.length + d.errors.length;
      return expected > 0 && parseResponses(b).responses.filter((x) => x.status >= 200).length >= expected;
    },
    NODE_BOUND_MS,
  );
  return {
    statuses: parseResponses(r.bytes).responses.filter((x) => x.status >= 200).map((x) => x.status),
    closed: r.closed,
    accepted: env.direct.requests.filter((q) => q.complete).map((q) => asReq(q.method, q.url, q.body)),
    errors: env.direct.errors.map((e) => e.code),
  };
}

/** The messages kdp sent upstream, in the order they left, with the tap connection each used. */
function wireMessages(env: DiffEnv, failures: Failure[], partials: Map<TapConn, CanonicalParse>): { msg: WireRequest; tc: TapConn; seq: number }[] {
  const out: { msg: WireRequest; tc: TapConn; seq: number }[] = [];
  for (const tc of env.tap.conns) {
    const bytes = env.tap.bytes(tc);
    const p = parseCanonical(bytes);
    partials.set(tc, p);
    if (p.violation !== null) {
      failures.push({ kind: 'non-canonical-forward', conn: tc.id, detail: `kdp forwarded non-canonical bytes upstream: ${p.violation}; bytes=${JSON.stringify(bytes.toString('latin1').slice(0, 300))}` });
    }
    for (const msg of p.messages) out.push({ msg, tc, seq: env.tap.seqAt(tc, msg.start) });
  }
  out.sort((a, b) => a.seq - b.seq);
  return out;
}

/**
 * Sends `segments` through kdp and checks every invariant; `node` is node:http's verdict on the same bytes
 * (the bound on how much kdp must answer before it may rest).
 */
export async function runKdp(env: DiffEnv, segments: readonly Buffer[], node: NodeVerdict, framing: boolean): Promise<{ verdict: KdpVerdict; failures: Failure[] }> {
  env.kdp.reset();
  env.behind.reset();
  env.tap.reset();
  const failures: Failure[] = [];
  const want = node.statuses.length;
  // Settled when kdp gave as many answers as node:http did (or closed); after a refusal of its own, only once closed.
  const r = await sendSegments(
    env.kdp.port,
    segments,
    (b) => {
      const finals = parseResponses(b).responses.filter((x) => x.status >= 200);
      return finals.length >= want && !finals.some(isKdpRefusal);
    },
    HANG_BOUND_MS,
    env.kdp.pacing,
  );
  const statuses = parseResponses(r.bytes).responses.filter((x) => x.status >= 200).map((x) => x.status);
  if (!r.closed && statuses.length < want) {
    failures.push({
      kind: 'hang',
      detail: `kdp neither answered nor closed within ${String(HANG_BOUND_MS)} ms: ${String(statuses.length)} response(s) [${statuses.join(',')}] where node:http gave ${String(want)} [${node.statuses.join(',')}]`,
    });
  }
  const rejected = parseResponses(r.bytes).responses.find(isKdpRefusal);
  if (rejected !== undefined && !r.closed) {
    failures.push({ kind: 'no-close-after-reject', detail: `kdp refused the input with ${String(rejected.status)} but kept the connection open: the bytes after it have no defined meaning` });
  }
  // Let the app finish reading what reached it (its events come from the same loop, within a few turns).
  await waitQuiet(env);
  const parses = new Map<TapConn, CanonicalParse>();
  const wire = wireMessages(env, failures, parses);
  // 1. Per upstream connection, the app saw exactly the messages kdp sent: same boundaries, methods, targets, bodies.
  for (const tc of env.tap.conns) {
    const sent = wire.filter((w) => w.tc === tc).map((w) => w.msg);
    const canonical = !failures.some((f) => f.kind === 'non-canonical-forward' && f.conn === tc.id);
    const mine = (port: number): boolean => port === tc.appSidePort && tc.appSidePort !== 0;
    const seen = env.behind.requests.filter((q) => mine(q.remotePort));
    for (let i = 0; i < seen.length; i++) {
      const q = seen[i] as AppRequest;
      const s = sent[i];
      const got = asReq(q.method, q.url, q.body);
      const partial = parses.get(tc)?.partial ?? null;
      if (s === undefined && i === sent.length && !q.complete && partial !== null) {
        // The message kdp was still sending (or abandoned mid-body): its request line must match.
        if (partial.method !== got.method || partial.target !== got.target) {
          failures.push({ kind: 'desync', detail: `kdp was sending ${partial.method} ${JSON.stringify(partial.target)} but the app read ${show(got)} (incomplete)` });
        }
        continue;
      }
      if (s === undefined) {
        // Past the last message the reader could parse: on a canonical stream, a request kdp never sent.
        if (canonical) failures.push({ kind: 'smuggled', detail: `the app received ${show(got)}, which kdp never sent as a request (upstream conn ${String(tc.id)})` });
        continue;
      }
      const sr = asReq(s.method, s.target, s.body);
      if (q.complete ? !same(sr, got) : sr.method !== got.method || sr.target !== got.target) {
        failures.push({ kind: 'desync', detail: `kdp sent ${show(sr)} but the app read ${show(got)}${q.complete ? '' : ' (incomplete)'}` });
      }
    }
    for (const e of env.behind.errors.filter((x) => mine(x.remotePort))) {
      // The message the app refused is the one after the last it accepted on this connection.
      const refused = sent[seen.length];
      const wholeRequestRefusal =
        e.code === 'HPE_HEADER_OVERFLOW' || e.code === 'HPE_INVALID_METHOD' || (e.code === 'HPE_INVALID_VERSION' && refused?.method === 'PRI');
      // kdp closed the connection in the middle of a message it had started to send (it refused the rest): the app
      // sees a truncated request it never runs. That is how an abort looks, not a disagreement.
      const abandoned = e.code === 'HPE_INVALID_EOF_STATE' && refused === undefined && (parses.get(tc)?.rest ?? 0) > 0;
      if (!wholeRequestRefusal && !abandoned) {
        failures.push({
          kind: 'app-rejected-forward',
          detail: `the app's node:http parser refused what kdp forwarded (${e.code})${refused === undefined ? '' : ` at ${refused.method} ${JSON.stringify(refused.target)}`}`,
        });
      }
    }
  }
  // Nothing reaches the app that kdp's handler did not accept (e.g. a body read as a request), whatever the wire.
  const acceptedList = await env.kdp.accepted(Math.max(statuses.length, env.behind.requests.length));
  const accAll = acceptedList.map((a) => `${a.method} ${a.target}`);
  const appAll = [...env.behind.requests].sort((a, b) => a.order - b.order).map((q) => `${q.method} ${q.url}`);
  for (const a of appAll) {
    if (!accAll.includes(a)) failures.push({ kind: 'smuggled', detail: `the app received ${a}, a request kdp's handler never accepted (accepted: [${accAll.join(' | ')}])` });
  }
  // 2. The requests on the wire are the ones kdp's handler accepted, in the same order (some accepted ones may
  // never leave: answered locally or 502).
  const wireList = wire.map((w) => `${w.msg.method} ${w.msg.target}`);
  const accList = accAll;
  if (!isSubsequence(wireList, accList)) {
    failures.push({ kind: 'wire-vs-accepted', detail: `kdp accepted [${accList.join(' | ')}] but sent upstream [${wireList.join(' | ')}]` });
  }
  // 3. The app saw requests in the order kdp accepted them (the fallback's pipelining must not reorder).
  const appOrder = [...env.behind.requests].sort((a, b) => a.order - b.order).map((q) => `${q.method} ${q.url}`);
  if (!isSubsequence(appOrder, accList) && appOrder.every((a) => accList.includes(a))) {
    failures.push({ kind: 'reordered', detail: `kdp accepted [${accList.join(' | ')}] but the app saw [${appOrder.join(' | ')}]` });
  }
  // 4. Against node:http alone: where both accepted, they agree; on framing inputs kdp is at least as strict.
  // Request i of kdp is the i-th its handler accepted; it has a body to compare when it was forwarded (a handler may
  // answer some itself, e.g. a 404 for an unknown revision), matched in order against the wire.
  const kdpAccepted = wire.map((w) => asReq(w.msg.method, w.msg.target, w.msg.body));
  const aligned: (Req | { method: string; target: string; body: null })[] = [];
  let j = 0;
  for (const a of acceptedList) {
    const w = kdpAccepted[j];
    if (w !== undefined && w.method === a.method && w.target === a.target) {
      aligned.push(w);
      j++;
    } else aligned.push({ method: a.method, target: a.target, body: null });
  }
  const n = Math.min(aligned.length, node.accepted.length);
  for (let i = 0; i < n; i++) {
    const k = aligned[i] as Req | { method: string; target: string; body: null };
    const d = node.accepted[i] as Req;
    const agree = k.body === null ? k.method === d.method && k.target === d.target : same(k, d);
    if (!agree) {
      const what = k.body === null ? `kdp accepted ${k.method} ${JSON.stringify(k.target)} (not forwarded)` : `kdp forwarded ${show(k)}`;
      failures.push({ kind: 'disagrees-with-node', detail: `request ${String(i)}: node:http read ${show(d)}, ${what}` });
    }
  }
  // A request whose method node:http does not know (e.g. `ET` after a Content-Length one byte too long) is refused
  // whole by the app: the boundary is the same on both sides, so it does not count as kdp accepting more.
  const known = kdpAccepted.filter((r) => http.METHODS.includes(r.method));
  if (framing && known.length > node.accepted.length) {
    failures.push({
      kind: 'less-strict-than-node',
      detail: `node:http accepted ${String(node.accepted.length)} request(s) [${node.accepted.map(show).join(' | ')}] and answered [${node.statuses.join(',')}]; kdp forwarded ${String(kdpAccepted.length)} [${kdpAccepted.map(show).join(' | ')}]`,
    });
  }
  const appSaw = [...env.behind.requests].sort((a, b) => a.order - b.order).filter((q) => q.complete).map((q) => asReq(q.method, q.url, q.body));
  // 5. A fresh connection still gets a 200 from the app through kdp.
  env.behind.reset();
  const fresh = await sendSegments(env.kdp.port, [Buffer.from(`GET /fresh HTTP/1.1\r\nHost: ${env.kdp.freshHost ?? 'fresh'}\r\n${env.kdp.routeHeaders ?? ''}\r\n`, 'latin1')], (b) => parseResponses(b).responses.length >= 1, HANG_BOUND_MS);
  const fr = parseResponses(fresh.bytes).responses[0];
  if (fr?.status !== 200 || env.behind.requests.at(-1)?.url !== '/fresh') {
    failures.push({ kind: 'fresh-connection', detail: `a fresh connection after the input got ${fr === undefined ? 'no response' : String(fr.status)}` });
  }
  return {
    verdict: {
      statuses,
      closed: r.closed,
      settledMs: Math.round(r.settledMs),
      accepted: kdpAccepted,
      handled: accAll.length,
      appSaw,
      appErrors: env.behind.errors.map((e) => e.code),
    },
    failures,
  };
}

/** A response kdp generated itself to refuse a malformed request (it must close the connection after it). */
function isKdpRefusal(x: WireResponse): boolean {
  return x.status >= 400 && x.headers.some(([k, v]) => k === 'x-kdp-error' && v === 'bad-request');
}

function isSubsequence(sub: readonly string[], of: readonly string[]): boolean {
  let j = 0;
  for (const x of sub) {
    while (j < of.length && of[j] !== x) j++;
    if (j === of.length) return false;
    j++;
  }
  return true;
}

/** Waits until the app behind kdp has no request still reading its body, bounded (an unfinished body may never end). */
async function waitQuiet(env: DiffEnv): Promise<void> {
  const busy = (): boolean => env.behind.requests.some((q) => !q.complete) && env.tap.conns.some((c) => !c.closed);
  if (!busy()) {
    await new Promise((r) => setImmediate(r));
    return;
  }
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, 300);
    const off = env.behind.onChange(() => {
      if (!busy()) done();
    });
    function done(): void {
      clearTimeout(t);
      off();
      resolve();
    }
  });
}

/** Ways to cut an input into TCP segments: whole, at every CR/LF edge, byte by byte (short inputs). */
export function splits(raw: Buffer): { name: string; segments: Buffer[] }[] {
  const out = [{ name: 'whole', segments: [raw] }];
  const cuts = new Set<number>();
  for (let i = 1; i < raw.length; i++) {
    const c = raw[i - 1];
    const d = raw[i];
    if (c === 13 || c === 10 || d === 13 || d === 10 || c === 58 /* : */ || c === 59 /* ; */) cuts.add(i);
  }
  if (cuts.size > 0) out.push({ name: 'line-edges', segments: cutAt(raw, [...cuts]) });
  if (raw.length <= 160) out.push({ name: 'bytewise', segments: cutAt(raw, Array.from({ length: raw.length - 1 }, (_, i) => i + 1)) });
  return out;
}

export function cutAt(raw: Buffer, cuts: number[]): Buffer[] {
  const sorted = [...new Set(cuts)].filter((c) => c > 0 && c < raw.length).sort((a, b) => a - b);
  const segs: Buffer[] = [];
  let prev = 0;
  for (const c of sorted) {
    segs.push(raw.subarray(prev, c));
    prev = c;
  }
  segs.push(raw.subarray(prev));
  return segs;
}

export function describeVerdicts(node: NodeVerdict, kdp: KdpVerdict): string {
  const n = `node: [${node.statuses.join(',')}]${node.closed ? ' closed' : ' open'} accepted ${String(node.accepted.length)}`;
  const k = `kdp: [${kdp.statuses.join(',')}]${kdp.closed ? ' closed' : ' open'} handled ${String(kdp.handled)}, forwarded ${String(kdp.accepted.length)} canonical`;
  return `${n}; ${k}`;
}
