/**
 * Finds where an HTTP/1.1 message body ends without copying it: Content-Length counting, a strict chunked
 * scanner (sizes, extensions, CRLFs, trailers), or "until the connection closes".
 *
 * Two modes for chunked bodies:
 * - verbatim (responses): the proxy forwards the bytes as read; the framer only says how many belong to the body,
 *   and refuses anything a strict recipient could read differently.
 * - canonical (requests, `reframe(sink)`): the framer hands the sink the body re-framed as plain hex sizes with no
 *   extensions and no trailers, so the app behind the proxy parses exactly the boundaries the proxy parsed
 *   (docs/http1-rules.md, rule 1: what kdp forwards, it forwards in canonical form).
 */

import { TCHAR, VCHAR } from './head.js';

export const FRAMING = { none: 0, length: 1, chunked: 2, eof: 3 } as const;
export type Framing = (typeof FRAMING)[keyof typeof FRAMING];

/** Receives the canonical pieces of a re-framed chunked body, in order. */
export type ChunkSink = (piece: Buffer) => void;

// Chunked scanner states.
const S_SIZE_FIRST = 0;
const S_SIZE = 1;
const S_EXT = 2;
const S_SIZE_LF = 3;
const S_DATA = 4;
const S_DATA_CR = 5;
const S_DATA_LF = 6;
const S_TRAILER_START = 7;
const S_TRAILER_NAME = 8;
const S_TRAILER_VALUE = 9;
const S_TRAILER_LF = 10;
const S_END_LF = 11;

const CR = 13;
const LF = 10;
const COLON = 58;
const SEMI = 59;
/** A chunk larger than this is refused (no legitimate sender needs more than 2^40 bytes in one chunk). */
const MAX_CHUNK = 2 ** 40;
/** Bound on a chunk-extension and on the trailer section, to keep a hostile sender from holding the scanner. */
const MAX_LINE = 16 * 1024;

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}


/**
 * Trailer fields that would change framing, routing or authentication if a recipient merged them into the head
 * (RFC 9110 §6.5.1). A trailer section holding one is refused: no parser behind us may see it.
 */
const FORBIDDEN_TRAILERS = new Set([
  'content-length', 'transfer-encoding', 'host', 'trailer', 'connection', 'keep-alive', 'upgrade', 'te', 'expect',
]);
const MAX_FORBIDDEN_NAME = 17;

function lower(c: number): string {
  return String.fromCharCode(c >= 65 && c <= 90 ? c | 0x20 : c);
}

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

export class BodyFramer {
  framing: Framing = FRAMING.none;
  /** Bytes left: for `length`, of the body; for `chunked`, of the current chunk's data. */
  remaining = 0;
  done = true;
  error = false;
  private state = S_SIZE_FIRST;
  private lineLen = 0;
  /** Lower-cased trailer name so far, while it could still be a forbidden one. */
  private trailerName = '';
  private sink: ChunkSink | null = null;

  /** For chunked bodies: between chunks, where a proxy may inject a chunk of its own. */
  get atChunkBoundary(): boolean {
    return this.state === S_SIZE_FIRST;
  }

  /**
   * Chunked bodies go to `sink` re-framed (plain hex sizes, no extensions, trailers validated then dropped)
   * instead of being forwarded verbatim; null restores verbatim mode. Applies until changed.
   */
  reframe(sink: ChunkSink | null): void {
    this.sink = sink;
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
   * Sets `done` when the body ended and `error` on malformed chunked framing. In canonical mode the body's bytes
   * reach the caller only through the sink.
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
    const sink = this.sink;
    let i = start;
    let state = this.state;
    while (i < end) {
      if (state === S_DATA) {
        const n = end - i;
        if (n < this.remaining) {
          this.remaining -= n;
          this.state = state;
          if (sink !== null) sink(i === 0 && end === buf.length ? buf : buf.subarray(i, end));
          return end;
        }
        if (sink !== null) sink(buf.subarray(i, i + this.remaining));
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
          else if (c === SEMI) {
            // Whitespace around sizes is refused outright (parsers disagree on it); an extension must start at `;`.
            state = S_EXT;
            this.lineLen = 0;
          } else return this.fail(i);
          break;
        }
        case S_EXT:
          if (c === CR) state = S_SIZE_LF;
          else if (VCHAR[c] !== 1 || ++this.lineLen > MAX_LINE) return this.fail(i);
          break;
        case S_SIZE_LF:
          if (c !== LF) return this.fail(i);
          if (this.remaining === 0) {
            state = S_TRAILER_START;
            this.lineLen = 0;
          } else {
            state = S_DATA;
            if (sink !== null) sink(Buffer.from(`${this.remaining.toString(16)}\r\n`, 'latin1'));
          }
          break;
        case S_DATA_CR:
          if (c !== CR) return this.fail(i);
          state = S_DATA_LF;
          break;
        case S_DATA_LF:
          if (c !== LF) return this.fail(i);
          state = S_SIZE_FIRST;
          if (sink !== null) sink(CRLF);
          break;
        case S_TRAILER_START:
          if (c === CR) state = S_END_LF;
          else if (TCHAR[c] === 1) {
            // (obs-fold, a bare LF, a space or a colon here are all refused: no name, or a continuation line)
            state = S_TRAILER_NAME;
            this.trailerName = lower(c);
          } else return this.fail(i);
          break;
        case S_TRAILER_NAME:
          if (++this.lineLen > MAX_LINE) return this.fail(i);
          if (TCHAR[c] === 1) {
            if (this.trailerName.length <= MAX_FORBIDDEN_NAME) {
              this.trailerName += lower(c);
            }
          } else if (c === COLON) {
            if (FORBIDDEN_TRAILERS.has(this.trailerName)) return this.fail(i);
            state = S_TRAILER_VALUE;
          } else return this.fail(i);
          break;
        case S_TRAILER_VALUE:
          if (c === CR) state = S_TRAILER_LF;
          else if (VCHAR[c] !== 1 || ++this.lineLen > MAX_LINE) return this.fail(i);
          break;
        case S_TRAILER_LF:
          if (c !== LF) return this.fail(i);
          state = S_TRAILER_START;
          break;
        case S_END_LF:
          if (c !== LF) return this.fail(i);
          this.state = S_SIZE_FIRST;
          this.done = true;
          if (sink !== null) sink(LAST_CHUNK);
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
