// Reading untrusted JSON into typed fields while collecting every problem with its Knative field path, instead of
// stopping at the first. The messages follow knative/pkg apis/field_error.go (`missing field(s)`,
// `invalid value: <v>`, `expected <a> <= <v> <= <b>`).

import type { FieldIssue } from '@kdp/router';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export class Issues {
  readonly list: FieldIssue[] = [];

  add(message: string, path: string, details?: string): void {
    this.list.push(details === undefined ? { message, paths: [path] } : { message, paths: [path], details });
  }

  missing(path: string, details?: string): void {
    this.add('missing field(s)', path, details);
  }

  invalid(value: unknown, path: string, details?: string): void {
    this.add(`invalid value: ${show(value)}`, path, details);
  }
}

export function show(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return 'undefined';
  return JSON.stringify(v);
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The field `key` of `o` when it has the type `is` accepts; absent (or null) reads as absent, and so does a value of
 * another type, which is reported as `expected`.
 */
function optField<T extends Json>(o: JsonObject, key: string, path: string, issues: Issues, is: (v: Json) => v is T, expected: string): T | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!is(v)) {
    issues.invalid(v, `${path}${key}`, expected);
    return undefined;
  }
  return v;
}

const isString = (v: Json): v is string => typeof v === 'string';
const isBool = (v: Json): v is boolean => typeof v === 'boolean';
const isNumber = (v: Json): v is number => typeof v === 'number';
const isArray = (v: Json): v is Json[] => Array.isArray(v);

/** An optional object field; a present non-object is reported and read as absent. */
export function optObject(o: JsonObject, key: string, path: string, issues: Issues): JsonObject | undefined {
  return optField(o, key, path, issues, isObject, 'expected an object');
}

export function optString(o: JsonObject, key: string, path: string, issues: Issues): string | undefined {
  return optField(o, key, path, issues, isString, 'expected a string');
}

export function optBool(o: JsonObject, key: string, path: string, issues: Issues): boolean | undefined {
  return optField(o, key, path, issues, isBool, 'expected true or false');
}

/** An optional number; integer-ness and range are the caller's (Knative reports them with its own wording). */
export function optNumber(o: JsonObject, key: string, path: string, issues: Issues): number | undefined {
  return optField(o, key, path, issues, isNumber, 'expected a number');
}

export function optInt(o: JsonObject, key: string, path: string, issues: Issues, min: number, max: number): number | undefined {
  const v = optNumber(o, key, path, issues);
  if (v === undefined) return undefined;
  if (!Number.isInteger(v)) {
    issues.invalid(v, `${path}${key}`, 'expected an integer');
    return undefined;
  }
  if (v < min || v > max) {
    issues.add(`expected ${min} <= ${v} <= ${max}`, `${path}${key}`);
    return undefined;
  }
  return v;
}

export function optStringArray(o: JsonObject, key: string, path: string, issues: Issues): string[] | undefined {
  const v = optField(o, key, path, issues, isArray, 'expected a list of strings');
  if (v === undefined) return undefined;
  const out: string[] = [];
  v.forEach((x, i) => {
    if (typeof x === 'string') out.push(x);
    else issues.invalid(x, `${path}${key}[${i}]`, 'expected a string');
  });
  return out;
}

export function optObjectArray(o: JsonObject, key: string, path: string, issues: Issues): { item: JsonObject; path: string }[] | undefined {
  const v = optField(o, key, path, issues, isArray, 'expected a list');
  if (v === undefined) return undefined;
  const out: { item: JsonObject; path: string }[] = [];
  v.forEach((x, i) => {
    const at = `${path}${key}[${i}]`;
    if (isObject(x)) out.push({ item: x, path: `${at}.` });
    else issues.invalid(x, at, 'expected an object');
  });
  return out;
}

/** Labels and annotations: string → string. */
export function optStringMap(o: JsonObject, key: string, path: string, issues: Issues): Record<string, string> | undefined {
  const m = optObject(o, key, path, issues);
  if (m === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'string') out[k] = v;
    else issues.invalid(v, `${path}${key}.${k}`, 'expected a string');
  }
  return out;
}
