import type { Readable } from 'node:stream';

/** Lines longer than this are cut, so an app printing without newlines cannot grow the buffer without bound. */
export const DEFAULT_MAX_LINE_CHARS = 16 * 1024;
const TRUNCATED = ' …[truncated]';

/**
 * Splits a text stream into lines (`\n` or `\r\n`). A line longer than `maxLineChars` is emitted cut at that length
 * with a marker, and the rest of it, up to the next newline, is dropped.
 */
export class LineSplitter {
  readonly #maxLineChars: number;
  readonly #onLine: (line: string) => void;
  #buf = '';
  #dropping = false;

  constructor(maxLineChars: number, onLine: (line: string) => void) {
    this.#maxLineChars = maxLineChars;
    this.#onLine = onLine;
  }

  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (this.#dropping) {
        this.#dropping = false;
        continue;
      }
      this.#emit(this.#buf + piece);
      this.#buf = '';
    }
    if (this.#dropping || start === chunk.length) return;
    this.#buf += chunk.slice(start);
    if (this.#buf.length > this.#maxLineChars) {
      this.#onLine(this.#buf.slice(0, this.#maxLineChars) + TRUNCATED);
      this.#buf = '';
      this.#dropping = true;
    }
  }

  /** Emits a final line that had no newline. */
  end(): void {
    if (this.#buf !== '') this.#emit(this.#buf);
    this.#buf = '';
    this.#dropping = false;
  }

  #emit(line: string): void {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    this.#onLine(l.length > this.#maxLineChars ? l.slice(0, this.#maxLineChars) + TRUNCATED : l);
  }
}

/** The last `capacity` lines, oldest first; a fixed ring, no `Array.shift`. */
export class LineRing {
  readonly #lines: string[];
  #next = 0;
  #count = 0;

  constructor(capacity: number) {
    this.#lines = new Array<string>(capacity);
  }

  push(line: string): void {
    if (this.#lines.length === 0) return;
    this.#lines[this.#next] = line;
    this.#next = (this.#next + 1) % this.#lines.length;
    if (this.#count < this.#lines.length) this.#count++;
  }

  toArray(): string[] {
    const out: string[] = [];
    const cap = this.#lines.length;
    for (let i = 0; i < this.#count; i++) {
      out.push(this.#lines[(this.#next - this.#count + i + cap) % cap] ?? '');
    }
    return out;
  }
}

/** Feeds `stream` through a `LineSplitter`. */
export function pipeLines(stream: Readable, maxLineChars: number, onLine: (line: string) => void): void {
  const splitter = new LineSplitter(maxLineChars, onLine);
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    splitter.push(chunk);
  });
  stream.on('end', () => {
    splitter.end();
  });
  // A read error on a child's pipe only ends its log; the process's exit is reported separately.
  stream.on('error', () => {
    splitter.end();
  });
}
