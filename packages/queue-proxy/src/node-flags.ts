/**
 * Node/V8 flags the queue-proxy is meant to run with, for launchers that start `node` themselves (the local
 * runtime, the bench). The bin shim's shebang and Dockerfile.queue's ENTRYPOINT carry the same flags; a test keeps
 * the three in step. Why: see bin/kdp-queue-proxy.js.
 */
export const QUEUE_PROXY_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=1']);
