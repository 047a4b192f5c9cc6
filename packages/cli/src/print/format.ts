// Text output in kn's style: aligned tables with upper-case headers, Kubernetes-style ages, `-o json|yaml`.

import { stringify } from 'yaml';
import { UsageError } from '../args.js';
import type { Io } from '../io.js';

/** Columns padded to the widest cell, separated by three spaces, as kn's tabwriter prints them. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/**
 * apimachinery `duration.HumanDuration`: seconds under 2 minutes, then `XmYs` under 10 minutes, minutes under 3
 * hours, `XhYm` under 8 hours, hours under 2 days, `XdYh` under 8 days, then days.
 */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
}

export function age(timestamp: string | undefined, nowMs: number): string {
  if (timestamp === undefined) return '';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '' : humanDuration(nowMs - t);
}

export type OutputFormat = 'text' | 'json' | 'yaml';

export function outputFormat(v: string | undefined, command: string): OutputFormat {
  if (v === undefined || v === '') return 'text';
  if (v === 'json' || v === 'yaml') return v;
  throw new UsageError(`-o ${JSON.stringify(v)}: expected json or yaml`, command);
}

/** An object or list as `-o json` / `-o yaml` prints it. */
export function serialise(data: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data, { lineWidth: 0 });
}

/** With `-o json|yaml`, prints `data` so and returns true; with text, prints nothing: the caller draws its own view. */
export function printSerialised(io: Io, format: OutputFormat, data: unknown): boolean {
  if (format === 'text') return false;
  io.out(serialise(data, format));
  return true;
}

/** printSerialised for a `list` command, plus kn's `No <noun> found.` for an empty list in text. */
export function printListHead(io: Io, format: OutputFormat, list: { readonly items: readonly unknown[] }, noun: string): boolean {
  if (printSerialised(io, format, list)) return true;
  if (list.items.length > 0) return false;
  io.out(`No ${noun} found.\n`);
  return true;
}
