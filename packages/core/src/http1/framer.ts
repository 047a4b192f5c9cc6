/**
 * Finds where an HTTP/1.1 message body ends without copying it: Content-Length counting, a strict chunked
 * scanner (sizes, extensions, CRLFs, trailers), or "until the connection closes".
 * The proxy forwards the bytes verbatim; the framer only says how many of them belong to the body.
 */

export const FRAMING = { none: 0, length: 1, chunked: 2, eof: 3 } as const;
export type Framing = (typeof FRAMING)[keyof typeof FRAMING];

// Chunked scanner states.
const S_SIZE_FIRST = 0;
const S_SIZE = 1;
const S_EXT = 2;
const S_SIZE_LF = 3;
const S_DATA = 4;
const S_DATA_CR = 5;
const S_DATA_LF = 6;
const S_TRAILER_START = 7;
const S_TRAILER_LINE = 8;
const S_TRAILER_LF = 9;
const S_END_LF = 10;

const CR = 13;
const LF = 10;
/** A chunk larger than this is refused (no legitimate sender needs more than 2^40 bytes in one chunk). */
const MAX_CHUNK = 2 ** 40;
/** Bound on a chunk-extension or trailer line, to keep a hostile sender from holding the scanner forever. */
const MAX_LINE = 16 * 1024;

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

export class BodyFramer {
  framing: Framing = FRAMING.none;
  /** Bytes left: for `length`, of the body; for `chunked`, of the current chunk's data. */
  remaining = 0;
  done = true;
  error = false;
  private state = S_SIZE_FIRST;
  private lineLen = 0;

  /** For chunked bodies: between chunks, where a proxy may inject a chunk of its own. */
  get atChunkBoundary(): boolean {
    return this.state === S_SIZE_FIRST;
  }

  reset(framing: Framing, contentLength: number): void {
    this.framing = framing;
    this.error = false;
    this.state = S_SIZE_FIRST;
    this.lineLen = 0;
    switch (framing) {
      case FRAMING.none:
        this.remaining = 0;
        this.done = true;
        break;
      case FRAMING.length:
        this.remaining = contentLength;
        this.done = contentLength === 0;
        break;
      case FRAMING.chunked:
        this.remaining = 0;
        this.done = false;
        break;
      case FRAMING.eof:
        this.remaining = 0;
        this.done = false;
        break;
    }
  }

  /**
   * Consumes body bytes from `buf[start..end)`; returns the offset just past the last body byte in this range.
   * Sets `done` when the body ended and `error` on malformed chunked framing.
   */
  consume(buf: Buffer, start: number, end: number): number {
    switch (this.framing) {
      case FRAMING.none:
        return start;
      case FRAMING.eof:
        return end;
      case FRAMING.length: {
        const n = end - start;
        if (n < this.remaining) {
          this.remaining -= n;
          return end;
        }
        const stop = start + this.remaining;
        this.remaining = 0;
        this.done = true;
        return stop;
      }
      case FRAMING.chunked:
        return this.scanChunked(buf, start, end);
    }
  }

  private fail(at: number): number {
    this.error = true;
    this.done = true;
    return at;
  }

  private scanChunked(buf: Buffer, start: number, end: number): number {
    let i = start;
    let state = this.state;
    while (i < end) {
      if (state === S_DATA) {
        const n = end - i;
        if (n < this.remaining) {
          this.remaining -= n;
          this.state = state;
          return end;
        }
        i += this.remaining;
        this.remaining = 0;
        state = S_DATA_CR;
        continue;
      }
      const c = buf[i] ?? 0;
      switch (state) {
        case S_SIZE_FIRST: {
          const d = HEX[c] ?? -1;
          if (d < 0) return this.fail(i);
          this.remaining = d;
          state = S_SIZE;
          break;
        }
        case S_SIZE: {
          const d = HEX[c] ?? -1;
          if (d >= 0) {
            this.remaining = this.remaining * 16 + d;
            if (this.remaining > MAX_CHUNK) return this.fail(i);
          } else if (c === CR) state = S_SIZE_LF;
          else if (c === 59 /* ; */ || c === 32 || c === 9) {
            state = S_EXT;
            this.lineLen = 0;
          } else return this.fail(i);
          break;
        }
        case S_EXT:
          if (c === CR) state = S_SIZE_LF;
          else if (c === LF || ++this.lineLen > MAX_LINE) return this.fail(i);
          break;
        case S_SIZE_LF:
          if (c !== LF) return this.fail(i);
          state = this.remaining === 0 ? S_TRAILER_START : S_DATA;
          break;
        case S_DATA_CR:
          if (c !== CR) return this.fail(i);
          state = S_DATA_LF;
          break;
        case S_DATA_LF:
          if (c !== LF) return this.fail(i);
          state = S_SIZE_FIRST;
          break;
        case S_TRAILER_START:
          if (c === CR) state = S_END_LF;
          else {
            state = S_TRAILER_LINE;
            this.lineLen = 1;
          }
          break;
        case S_TRAILER_LINE:
          if (c === CR) state = S_TRAILER_LF;
          else if (c === LF || ++this.lineLen > MAX_LINE) return this.fail(i);
          break;
        case S_TRAILER_LF:
          if (c !== LF) return this.fail(i);
          state = S_TRAILER_START;
          break;
        case S_END_LF:
          if (c !== LF) return this.fail(i);
          this.state = S_SIZE_FIRST;
          this.done = true;
          return i + 1;
        default:
          return this.fail(i);
      }
      i++;
    }
    this.state = state;
    return end;
  }
}
