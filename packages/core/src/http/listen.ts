import type net from 'node:net';

/**
 * Starts `server` on `host:port` and resolves with the bound port (port 0 picks one); rejects with the listen
 * error (EADDRINUSE ...) instead of emitting it. One helper for every kdp listener.
 */
export function listenOn(server: net.Server, port: number, host: string, backlog?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const onListening = (): void => {
      server.removeListener('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    };
    if (backlog === undefined) server.listen({ port, host }, onListening);
    else server.listen({ port, host, backlog }, onListening);
  });
}
