// Reading JSON the way Go's encoding/json fills a struct, for the two JSON documents queue-proxy gets from its
// environment: the corev1.Probe(s) in SERVING_READINESS_PROBE and OBSERVABILITY_CONFIG. The rules that matter:
// object keys match field names exactly first, then case-insensitively; unknown keys are ignored; `null` leaves the
// field at its default; a value of the wrong JSON type is an error; integers must be integral and in range.
// Shared by health/probe-decode.ts and config-observability.ts.

/** A JSON object as produced by `JSON.parse`. */
export type JsonObject = { readonly [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON type name of a parsed value, for messages. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * The value Go would assign to struct field `name`: the exact key if present, else the first key equal ignoring
 * case (Go's encoding/json folding; the Kelvin-sign and long-s special cases are not reproduced).
 */
export function goField(obj: JsonObject, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) {
    if (key.toLowerCase() === lower) return obj[key];
  }
  return undefined;
}

/** Collects `path: reason` problems; the caller decides the prefix (the environment variable). */
export type ProblemSink = (path: string, reason: string) => void;

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function wrongType(sink: ProblemSink, path: string, expected: string, value: unknown): undefined {
  sink(path, `expected ${expected}, got ${jsonTypeOf(value)}`);
  return undefined;
}

/** A string field; `undefined` when absent or null (Go keeps the default). */
export function readString(obj: JsonObject, name: string, path: string, sink: ProblemSink): string | undefined {
  const value = goField(obj, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  return wrongType(sink, join(path, name), 'a string', value);
}

/** A bool field; `undefined` when absent or null. */
export function readBool(obj: JsonObject, name: string, path: string, sink: ProblemSink): boolean | undefined {
  const value = goField(obj, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  return wrongType(sink, join(path, name), 'a boolean', value);
}

/** A float64 field; `undefined` when absent or null. */
export function readNumber(obj: JsonObject, name: string, path: string, sink: ProblemSink): number | undefined {
  const value = goField(obj, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  return wrongType(sink, join(path, name), 'a number', value);
}

/**
 * An integer field of a Go type bounded by [min, max] (int32, int64...); `undefined` when absent or null.
 * Go rejects `1.5` and `1e400`; JSON.parse has already turned `1.0` into 1, which Go would reject: a difference
 * nobody relies on.
 */
export function readInteger(
  obj: JsonObject,
  name: string,
  path: string,
  sink: ProblemSink,
  min: number,
  max: number,
): number | undefined {
  const value = goField(obj, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') return wrongType(sink, join(path, name), 'an integer', value);
  if (!Number.isInteger(value)) {
    sink(join(path, name), `expected an integer, got ${String(value)}`);
    return undefined;
  }
  if (value < min || value > max) {
    sink(join(path, name), `${String(value)} out of range [${String(min)}, ${String(max)}]`);
    return undefined;
  }
  return value;
}

/** A nested struct; `undefined` when absent or null (Go keeps the defaults of every field inside). */
export function readObject(obj: JsonObject, name: string, path: string, sink: ProblemSink): JsonObject | undefined {
  const value = goField(obj, name);
  if (value === undefined || value === null) return undefined;
  if (isJsonObject(value)) return value;
  return wrongType(sink, join(path, name), 'an object', value);
}

export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;
// int64 limits as doubles: JSON.parse has already rounded anything larger, so this only rejects absurd values.
export const INT64_MIN = -(2 ** 63);
export const INT64_MAX = 2 ** 63;
