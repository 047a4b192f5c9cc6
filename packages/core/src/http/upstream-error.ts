/**
 * The text of a `502` when the upstream round trip fails before a response head: Go's ReverseProxy writes the
 * transport error string (`P:network/error_handler.go#ErrorHandler`), so the common cases use Go's wording
 * (`dial tcp 127.0.0.1:8080: connect: connection refused`); the rest say plainly what node reported.
 */

interface ErrnoLike {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
}

/** The most specific error code in an error and its `cause` chain (node:http2 wraps connect errors). */
function innermostCode(err: unknown): { code: string | undefined; message: string } {
  let code: string | undefined;
  let message = 'unknown error';
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && typeof cur === 'object' && cur !== null; depth++) {
    const e = cur as ErrnoLike;
    if (typeof e.code === 'string') code = e.code;
    if (typeof e.message === 'string') message = e.message;
    cur = e.cause;
  }
  return { code, message };
}

/** `err` null: the upstream closed the connection cleanly before any response byte. */
export function describeUpstreamError(err: unknown, authority: string): string {
  if (err === null) return `read tcp ${authority}: EOF (upstream closed the connection before responding)`;
  const { code, message } = innermostCode(err);
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${authority}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${authority}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${authority}: connect: network is unreachable`;
    case 'ETIMEDOUT':
      return `dial tcp ${authority}: i/o timeout`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp ${authority}: lookup failed: ${message}`;
    case 'ECONNRESET':
      // node says "socket hang up" when the peer closed without answering; Go says EOF.
      return message === 'socket hang up'
        ? `read tcp ${authority}: EOF (upstream closed the connection before responding)`
        : `read tcp ${authority}: read: connection reset by peer`;
    case 'EPIPE':
      return `write tcp ${authority}: write: broken pipe`;
    default:
      return code === undefined ? `upstream ${authority}: ${message}` : `upstream ${authority}: ${code}: ${message}`;
  }
}

/** Errors on a reused keep-alive connection that mean "the peer closed it while idle": safe to retry once. */
export function isStaleConnectionError(err: unknown): boolean {
  const { code } = innermostCode(err);
  return code === 'ECONNRESET' || code === 'EPIPE';
}
