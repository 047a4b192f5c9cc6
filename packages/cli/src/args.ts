// Command-line helpers shared by the commands: the errors that decide the exit code, `node:util` parseArgs with
// its errors turned into usage errors, shell-like splitting of `--cmd "…"`, and the `KEY=VALUE` flag forms of kn.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KdpBaseError, type KdpErrorCode } from '@kdp/core';

/** A failure to report as `kdp: <message>` with exit code 1. */
export class CliError extends KdpBaseError {
  readonly code: KdpErrorCode = 'KDP_ERR_CLI';
  readonly exitCode: number = 1;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Bad command-line usage: exit code 2, with a pointer to the command's help. */
export class UsageError extends CliError {
  override readonly code: KdpErrorCode = 'KDP_ERR_USAGE';
  override readonly exitCode: number = 2;
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  server: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const OUTPUT_OPTION = { output: { type: 'string', short: 'o' } } as const satisfies OptionSpec;

export interface Parsed<O extends OptionSpec> {
  readonly values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];
  readonly positionals: string[];
}

/** parseArgs in strict mode; its TypeErrors (unknown option, missing value) become usage errors for `command`. */
export function parse<O extends OptionSpec>(args: readonly string[], options: O, command: string): Parsed<O> {
  try {
    const r = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: r.values, positionals: r.positionals };
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, '') : String(err);
    if (/^Unknown option '--image'/.test(message)) {
      throw new UsageError(
        `--image: kdp runs local commands, not container images; give the program and its arguments with --cmd "PROGRAM ARGS…" (for example --cmd "node server.js")`,
        command,
      );
    }
    throw new UsageError(message, command);
  }
}

/** Exactly `n` positionals, named in the message when one is missing (`service create NAME`). */
export function positionals(p: readonly string[], names: readonly string[], command: string): string[] {
  if (p.length < names.length) throw new UsageError(`'kdp ${command}' requires ${names.slice(p.length).join(' ')}`, command);
  if (p.length > names.length) throw new UsageError(`'kdp ${command}' takes ${names.length === 0 ? 'no arguments' : names.join(' ')}, got extra ${JSON.stringify(p.slice(names.length).join(' '))}`, command);
  return p.slice();
}

/**
 * Splits a command line as a POSIX shell would for words and quotes (no expansion of variables, globs or `~`):
 * 'single' quotes are literal, "double" quotes honour \" \\ \$ \`, a backslash outside quotes escapes the next
 * character. `--cmd "node app.js --flag 'a b'"` → [node, app.js, --flag, a b].
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line.charAt(i);
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${JSON.stringify(line)}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i += 1;
      for (;;) {
        if (i >= line.length) throw new Error(`unterminated " in ${JSON.stringify(line)}`);
        const c = line.charAt(i);
        if (c === '"') break;
        if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line.charAt(i + 1))) {
          word += line.charAt(i + 1);
          i += 2;
        } else {
          word += c;
          i += 1;
        }
      }
      inWord = true;
      i += 1;
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line.charAt(i + 1);
      inWord = true;
      i += 2;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
    } else {
      word += ch;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}

export type KeyValueEdit = { readonly kind: 'set'; readonly key: string; readonly value: string } | { readonly kind: 'unset'; readonly key: string };

/** kn's `--env K=V` / `--env K-` (remove) form; also used for annotations. */
export function parseKeyValueEdits(values: readonly string[] | undefined, flag: string, command: string): KeyValueEdit[] {
  return (values ?? []).map((v) => {
    const eq = v.indexOf('=');
    if (eq > 0) return { kind: 'set', key: v.slice(0, eq), value: v.slice(eq + 1) };
    if (eq < 0 && v.length > 1 && v.endsWith('-')) return { kind: 'unset', key: v.slice(0, -1) };
    throw new UsageError(`--${flag} ${JSON.stringify(v)}: expected KEY=VALUE (or KEY- to remove)`, command);
  });
}

/** `A=B` pairs of `--traffic`/`--tag`, commas allowed as in kn (`--tag a=x,b=y`). */
export function parsePairs(values: readonly string[] | undefined, flag: string, shape: string, command: string): [string, string][] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => {
      const eq = v.indexOf('=');
      const a = eq < 0 ? '' : v.slice(0, eq).trim();
      const b = eq < 0 ? '' : v.slice(eq + 1).trim();
      if (a === '' || b === '') throw new UsageError(`--${flag} ${JSON.stringify(v)}: expected ${shape}`, command);
      return [a, b];
    });
}

/** A non-negative integer flag value. */
export function intFlag(v: string | undefined, flag: string, command: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min) {
    throw new UsageError(`--${flag} ${JSON.stringify(v)}: expected an integer >= ${min}`, command);
  }
  return Number(v);
}
