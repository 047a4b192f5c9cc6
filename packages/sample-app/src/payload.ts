import { QUERY_LIMITS } from './query.js';

/**
 * One shared, never-mutated buffer of `x` bytes; `?size=N` answers with a view of its first N bytes, so a response
 * costs no allocation or copy of its body. Grown (to the next power of two) when a larger N is asked; in-flight
 * writes keep the old buffer alive, and nothing ever writes into a buffer once it has been handed out.
 */
export class PayloadBuffer {
  #buf: Buffer;

  constructor(initialBytes: number) {
    this.#buf = Buffer.alloc(initialBytes, 'x');
  }

  view(bytes: number): Buffer {
    if (bytes > this.#buf.length) {
      let size = Math.max(this.#buf.length, 1);
      while (size < bytes) size *= 2;
      this.#buf = Buffer.alloc(Math.min(size, QUERY_LIMITS.size), 'x');
    }
    return this.#buf.subarray(0, bytes);
  }
}
