// Knative's activator → autoscaler websocket payload (serving: pkg/autoscaler/metrics/stat.proto):
//   message WireStatMessage  { string namespace = 1; string name = 2; Stat stat = 3; }
//   message WireStatMessages { repeated WireStatMessage messages = 1; }
// One binary websocket message carries one `WireStatMessages` batch (pkg/activator/stat_reporter.go `ReportStats`).
// Written as gogo does: fields in order, empty strings left out, the embedded Stat always present (Knative's
// `ToWireStatMessages` sets the pointer for every message).
import protobuf from 'protobufjs/light.js';
import { decodeStat, encodeStat, StatDecodeError } from './stat-proto.js';
import type { Stat } from './stat-proto.js';

/** One revision's stat in a batch (Knative `metrics.StatMessage`, key = namespace/name). */
export interface StatMessage {
  readonly namespace: string;
  readonly name: string;
  readonly stat: Partial<Stat>;
}

export function encodeWireStatMessages(messages: readonly StatMessage[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const m of messages) {
    w.uint32((1 << 3) | 2).fork();
    if (m.namespace !== '') w.uint32((1 << 3) | 2).string(m.namespace);
    if (m.name !== '') w.uint32((2 << 3) | 2).string(m.name);
    w.uint32((3 << 3) | 2).bytes(encodeStat(m.stat));
    w.ldelim();
  }
  return w.finish();
}

/** Decodes a batch (the autoscaler's side; kdp uses it in tests and fakes). Throws `StatDecodeError`. */
export function decodeWireStatMessages(bytes: Uint8Array): (StatMessage & { readonly stat: Stat })[] {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: (StatMessage & { readonly stat: Stat })[] = [];
  try {
    const r = protobuf.Reader.create(view);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 !== 1 || (tag & 7) !== 2) {
        r.skipType(tag & 7);
        continue;
      }
      const inner = protobuf.Reader.create(r.bytes());
      let namespace = '';
      let name = '';
      let stat: Stat = decodeStat(new Uint8Array(0));
      while (inner.pos < inner.len) {
        const t = inner.uint32();
        const field = t >>> 3;
        const wire = t & 7;
        if (field === 1 && wire === 2) namespace = inner.string();
        else if (field === 2 && wire === 2) name = inner.string();
        else if (field === 3 && wire === 2) stat = decodeStat(inner.bytes());
        else if (field >= 1 && field <= 3) throw new Error(`wrong wireType = ${String(wire)} for field ${String(field)}`);
        else inner.skipType(wire);
      }
      out.push({ namespace, name, stat });
    }
  } catch (err) {
    if (err instanceof StatDecodeError) throw err;
    throw new StatDecodeError(`unmarshalling WireStatMessages failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return out;
}
