/**
 * The fallback engine, loaded on first use. Most connections never leave the fast path, and node:http2 plus the
 * fallback's modules cost ~10 ms of startup and a few MB of RSS in every pod; a process that never sees h2c, a
 * websocket or HTTP/1.0 never pays. A hand-off arriving while the module loads waits for it (the socket is paused).
 */
import type net from 'node:net';
import type { Adopter } from '../http1/engine.js';
import type { FallbackEngine, FallbackOptions } from './engine.js';

export function lazyFallbackEngine(opts: FallbackOptions): Adopter {
  let engine: FallbackEngine | null = null;
  let loading: Promise<FallbackEngine> | null = null;
  const load = (): Promise<FallbackEngine> => {
    loading ??= import('./engine.js').then((m) => (engine = m.createFallbackEngine(opts)));
    return loading;
  };
  const adopt = (kind: 'adoptHttp1' | 'adoptHttp2', socket: net.Socket, buffered: Buffer): void => {
    if (engine !== null) {
      engine[kind](socket, buffered);
      return;
    }
    socket.pause();
    load().then(
      (e) => e[kind](socket, buffered),
      () => socket.destroy(),
    );
  };
  return {
    adoptHttp1: (socket, buffered) => adopt('adoptHttp1', socket, buffered),
    adoptHttp2: (socket, buffered) => adopt('adoptHttp2', socket, buffered),
    close: (graceMs) => (loading === null ? Promise.resolve() : loading.then((e) => e.close(graceMs))),
  };
}
