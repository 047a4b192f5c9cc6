import { createServer, type Server } from 'node:net';
import type { PodPorts } from './revision-spec.js';

export interface PortAllocatorOptions {
  /** Address the pods listen on; ports are probed there. */
  readonly host?: string;
  /** Rounds of binding before giving up; each round binds every still-missing port at once. */
  readonly maxRounds?: number;
}

const POD_PORT_NAMES = ['user', 'queue', 'queueTls', 'admin', 'metrics', 'userMetrics'] as const satisfies readonly
  (keyof PodPorts)[];

/**
 * Finds free loopback ports by binding port 0, and remembers every port handed out until it is released, so two
 * pods of this process never get the same port even though the probe sockets are closed before the pods bind.
 *
 * Another program on the host can still take a port between the probe and the pod's bind; the pod then fails to
 * start (the queue-proxy exits with EADDRINUSE) and is replaced with fresh ports, like any crashed pod.
 */
export class PortAllocator {
  readonly #host: string;
  readonly #maxRounds: number;
  readonly #reserved = new Set<number>();

  constructor(options: PortAllocatorOptions = {}) {
    this.#host = options.host ?? '127.0.0.1';
    this.#maxRounds = options.maxRounds ?? 10;
    if (!Number.isInteger(this.#maxRounds) || this.#maxRounds < 1) {
      throw new RangeError(`PortAllocator maxRounds must be a positive integer, got ${String(options.maxRounds)}`);
    }
  }

  /** Ports currently handed out. */
  get size(): number {
    return this.#reserved.size;
  }

  isReserved(port: number): boolean {
    return this.#reserved.has(port);
  }

  /** Six distinct free ports for one pod, reserved until `release`. */
  async allocate(): Promise<PodPorts> {
    const [user = 0, queue = 0, queueTls = 0, admin = 0, metrics = 0, userMetrics = 0] = await this.allocateMany(
      POD_PORT_NAMES.length,
    );
    return Object.freeze({ user, queue, queueTls, admin, metrics, userMetrics });
  }

  /** `count` distinct free ports, reserved until released. */
  async allocateMany(count: number): Promise<number[]> {
    const found: number[] = [];
    let lastError = '';
    for (let round = 0; round < this.#maxRounds && found.length < count; round++) {
      // All probe sockets of a round are open together, so the kernel cannot hand out one port twice in a round.
      const results = await Promise.allSettled(
        Array.from({ length: count - found.length }, () => listen(this.#host)),
      );
      const servers: Server[] = [];
      for (const r of results) {
        if (r.status === 'fulfilled') servers.push(r.value);
        else lastError = r.reason instanceof Error ? r.reason.message : String(r.reason);
      }
      for (const s of servers) {
        const address = s.address();
        const port = typeof address === 'object' && address !== null ? address.port : 0;
        // Reserved before the probe socket closes: a concurrent allocate() that is handed the same port later
        // sees it taken and asks again.
        if (port !== 0 && !this.#reserved.has(port)) {
          this.#reserved.add(port);
          found.push(port);
        }
      }
      await Promise.all(servers.map(close));
    }
    if (found.length < count) {
      this.releaseAll(found);
      const why = lastError === '' ? '' : `: ${lastError}`;
      throw new Error(`could not find ${count} free ports on ${this.#host} after ${this.#maxRounds} rounds${why}`);
    }
    return found;
  }

  release(ports: PodPorts): void {
    this.releaseAll(POD_PORT_NAMES.map((n) => ports[n]));
  }

  releaseAll(ports: Iterable<number>): void {
    for (const p of ports) this.#reserved.delete(p);
  }
}

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, host, exclusive: true }, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

function close(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => {
      resolve();
    });
  });
}
