import { createServer } from 'node:net';

/**
 * `count` distinct ports that were free on 127.0.0.1 a moment ago (the kernel's choices for port 0, all held open
 * together so none is returned twice).
 */
export async function freePorts(count: number): Promise<number[]> {
  const held = await Promise.all(Array.from({ length: count }, () => holdPort()));
  await Promise.all(held.map((h) => h.release()));
  return held.map((h) => h.port);
}

function holdPort(): Promise<{ port: number; release(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr !== 'object') {
        srv.close();
        reject(new Error('could not get a free port'));
        return;
      }
      resolve({ port: addr.port, release: () => new Promise<void>((done) => srv.close(() => done())) });
    });
  });
}
