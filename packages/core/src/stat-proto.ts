// Knative's autoscaler `Stat` message (serving: pkg/autoscaler/metrics/stat.proto, proto3, package `metrics`).
// The queue-proxy serves it on :9090/metrics and the autoscaler scrapes it; the wire format must match gogo's
// marshaller byte for byte: fields in ascending order, zero values omitted, doubles as little-endian fixed64.
import protobuf from 'protobufjs/light.js';
import { KdpBaseError } from './errors.js';

/** One pod's (or the activator's) report for the last reporting period (about 1 s). */
export interface Stat {
  /** Field 1. The reporting pod; the scraper dedups by it. */
  readonly podName: string;
  /** Field 2. Time-weighted average of in-flight requests over the period. */
  readonly averageConcurrentRequests: number;
  /** Field 3. The part of field 2 that came through the activator (`K-Proxy-Request: activator`). */
  readonly averageProxiedConcurrentRequests: number;
  /** Field 4. Arrivals in the period, divided by the period in seconds. */
  readonly requestCount: number;
  /** Field 5. The part of field 4 that came through the activator. */
  readonly proxiedRequestCount: number;
  /** Field 6. Seconds since the reporter started (≈ pod age). */
  readonly processUptime: number;
  /** Field 7. Unix seconds (int64). The queue-proxy never sets it; the autoscaler stamps "now" when it is 0. */
  readonly timestamp: number;
}

/**
 * Largest body the autoscaler reads from a scrape: 6 fixed64 fields (+2 bytes framing each), a 256-byte host name
 * and 20 spare bytes (serving: pkg/autoscaler/metrics/http_scrape_client.go, `statFromProto`).
 */
export const STAT_MAX_BYTES = 6 * 10 + 256 + 20;

/** The proto3 default: every field zero. Encodes to zero bytes. */
export const EMPTY_STAT: Stat = Object.freeze({
  podName: '',
  averageConcurrentRequests: 0,
  averageProxiedConcurrentRequests: 0,
  requestCount: 0,
  proxiedRequestCount: 0,
  processUptime: 0,
  timestamp: 0,
});

/** A body that is not a valid `Stat` message. Internal only: it fails one scrape and never becomes a response. */
export class StatDecodeError extends KdpBaseError {
  readonly code = 'KDP_ERR_STAT_DECODE';
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'StatDecodeError';
  }
}

// Field numbers and types from stat.proto. JS names are used as proto names: the wire format only carries numbers.
const FIELDS = [
  ['podName', 1, 'string'],
  ['averageConcurrentRequests', 2, 'double'],
  ['averageProxiedConcurrentRequests', 3, 'double'],
  ['requestCount', 4, 'double'],
  ['proxiedRequestCount', 5, 'double'],
  ['processUptime', 6, 'double'],
  ['timestamp', 7, 'int64'],
] as const satisfies readonly (readonly [keyof Stat, number, string])[];

// Wire type each known field must arrive with (index = field number): 2 = length-delimited, 1 = fixed64, 0 = varint.
const WIRE_TYPES: readonly (number | undefined)[] = [undefined, 2, 1, 1, 1, 1, 1, 0];

let statType: protobuf.Type | undefined;

// Built on first use rather than at import time (docs/style.md rule 2); protobufjs then generates the codec once.
function getStatType(): protobuf.Type {
  if (statType === undefined) {
    const type = new protobuf.Type('Stat');
    for (const [name, id, kind] of FIELDS) type.add(new protobuf.Field(name, id, kind));
    new protobuf.Root().define('metrics').add(type);
    statType = type;
  }
  return statType;
}

/**
 * Encodes a Stat exactly as Knative's gogo marshaller does. Missing fields count as zero; zero (and -0) values are
 * left out, because protobufjs writes any field that is present on the object.
 */
export function encodeStat(stat: Partial<Stat>): Uint8Array {
  const present: Record<string, string | number> = {};
  for (const [name] of FIELDS) {
    const value = stat[name];
    if (value === undefined || value === '' || value === 0) continue;
    present[name] = value;
  }
  return getStatType().encode(present).finish();
}

const DECODE_OPTIONS: protobuf.IConversionOptions = { longs: Number, defaults: true };

/** Decodes a `Stat`; unknown fields are skipped as proto3 requires. Throws `StatDecodeError` on a malformed body. */
export function decodeStat(bytes: Uint8Array): Stat {
  const type = getStatType();
  // A plain Uint8Array view (not a Buffer) makes protobufjs use its bounds-checked Reader: its Buffer reader clamps a
  // string that runs past the end instead of failing, where gogo reports io.ErrUnexpectedEOF.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let object: Record<string, unknown>;
  try {
    checkWireTypes(view);
    object = type.toObject(type.decode(view), DECODE_OPTIONS);
  } catch (err) {
    throw new StatDecodeError(`unmarshalling Stat failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  return {
    podName: stringField(object, 'podName'),
    averageConcurrentRequests: numberField(object, 'averageConcurrentRequests'),
    averageProxiedConcurrentRequests: numberField(object, 'averageProxiedConcurrentRequests'),
    requestCount: numberField(object, 'requestCount'),
    proxiedRequestCount: numberField(object, 'proxiedRequestCount'),
    processUptime: numberField(object, 'processUptime'),
    timestamp: numberField(object, 'timestamp'),
  };
}

// protobufjs' generated decoder reads a known field with its declared type whatever wire type the tag says; gogo
// rejects a mismatch ("proto: wrong wireType"), and so do we, in a pass over at most a few hundred bytes.
function checkWireTypes(view: Uint8Array): void {
  const reader = protobuf.Reader.create(view);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 0) throw new Error('illegal tag 0');
    const expected = WIRE_TYPES[field];
    if (expected !== undefined && expected !== wireType) {
      throw new Error(`wrong wireType = ${wireType} for field ${field}`);
    }
    reader.skipType(wireType);
  }
}

function stringField(object: Record<string, unknown>, name: string): string {
  const value = object[name];
  return typeof value === 'string' ? value : '';
}

function numberField(object: Record<string, unknown>, name: string): number {
  const value = object[name];
  return typeof value === 'number' ? value : 0;
}
