/**
 * The kdp error catalogue: every `KDP_ERR_*` code lives here, with its HTTP status and the `X-Kdp-Error` cause a
 * proxy-generated response carries, so a client can tell our 503 from the app's 503.
 *
 * Errors become responses in exactly one place per service; this module only supplies the parts that are the same
 * everywhere: the status, the default body text (Knative's wording, where Knative has one) and the header list.
 */

/** Response header naming the cause of a response the proxy generated itself. */
export const KDP_ERROR_HEADER = 'X-Kdp-Error';

/** Causes, as sent in `X-Kdp-Error`. */
export const KdpCause = {
  queueFull: 'queue-full',
  timeout: 'timeout',
  upstreamUnreachable: 'upstream-unreachable',
  draining: 'draining',
  notFound: 'not-found',
  overloaded: 'overloaded',
  badRequest: 'bad-request',
  upstreamError: 'upstream-error',
} as const;
export type KdpCause = (typeof KdpCause)[keyof typeof KdpCause];

export interface KdpErrorInfo {
  /** HTTP status of the generated response. */
  readonly status: number;
  /** The `X-Kdp-Error` value; `null` for errors that never become a response (startup errors). */
  readonly cause: KdpCause | null;
  /** Body text used when the thrower gives none (a newline is added on the wire, as Go's `http.Error` does). */
  readonly message: string;
  /** What it means and where it comes from. Required: the catalogue test fails on an empty one. */
  readonly description: string;
}

/** Every error code kdp emits. A code used anywhere under `packages/` must have an entry (see errors.test.ts). */
export const KDP_ERRORS = {
  KDP_ERR_QUEUE_FULL: {
    status: 503,
    cause: KdpCause.queueFull,
    message: 'pending request queue full',
    description:
      'The breaker had no free slot: executing + queued reached queueDepth + maxConcurrency ' +
      '(Knative pkg/queue/breaker.go ErrRequestQueueFull).',
  },
  KDP_ERR_TIMEOUT: {
    status: 504,
    cause: KdpCause.timeout,
    message: 'request timeout',
    description:
      'A revision timeout (total, response-start or idle) fired before the response started ' +
      '(Knative pkg/http/handler/timeout.go).',
  },
  KDP_ERR_UPSTREAM_UNREACHABLE: {
    status: 502,
    cause: KdpCause.upstreamUnreachable,
    message: 'upstream unreachable',
    description:
      'Connecting to the upstream failed (refused, dial timeout); the body is the dial error text ' +
      '(knative/pkg network/error_handler.go).',
  },
  KDP_ERR_DRAINING: {
    status: 503,
    cause: KdpCause.draining,
    message: 'shutting down',
    description: 'A health check or KProbe arrived while draining (knative/pkg network/handlers/drain.go).',
  },
  KDP_ERR_NOT_FOUND: {
    status: 404,
    cause: KdpCause.notFound,
    message: '404 page not found',
    description: 'No route for the path or host (Go http.NotFound wording on admin/metrics ports).',
  },
  KDP_ERR_OVERLOADED: {
    status: 503,
    cause: KdpCause.overloaded,
    message: 'activator overload',
    description: 'The activator could not buffer the request: its queue or capacity is exhausted.',
  },
  KDP_ERR_BAD_REQUEST: {
    status: 400,
    cause: KdpCause.badRequest,
    message: 'bad request',
    description: 'The request is malformed for us, e.g. a probe with an unexpected K-Network-Probe value.',
  },
  KDP_ERR_UPSTREAM_ERROR: {
    status: 502,
    cause: KdpCause.upstreamError,
    message: 'upstream error',
    description:
      'The upstream connection failed after connecting, before response headers arrived ' +
      '(reset, malformed response).',
  },
  KDP_ERR_CONFIG: {
    status: 500,
    cause: null,
    message: 'invalid configuration',
    description:
      'The environment failed validation at startup; the error lists every problem, one "NAME: reason" line each.',
  },
  KDP_ERR_SAMPLE_APP_CONFIG: {
    status: 500,
    cause: null,
    message: 'invalid sample app configuration',
    description:
      'packages/sample-app (the stand-in user container) found an invalid environment at startup: a ConfigError ' +
      'with a code of its own, so the user container\'s failures are told apart from kdp\'s.',
  },
  KDP_ERR_API: {
    status: 500,
    cause: null,
    message: 'control API error',
    description:
      'The local control API (packages/cli) refused a request; the response is a Kubernetes Status object whose ' +
      'code and reason (NotFound, AlreadyExists, Conflict, Invalid, ...) carry the detail.',
  },
  KDP_ERR_INVALID: {
    status: 422,
    cause: null,
    message: 'invalid object',
    description:
      'A Knative object (Service spec, traffic, template) failed validation in the control API, with Knative\'s ' +
      'field-path messages.',
  },
  KDP_ERR_STORE: {
    status: 500,
    cause: null,
    message: 'state store error',
    description: 'The local platform could not read or write its state file (state.json under the data directory).',
  },
  KDP_ERR_KUBE_API: {
    status: 500,
    cause: null,
    message: 'Kubernetes API error',
    description:
      'The cluster activator (packages/kube) got a non-2xx answer from the Kubernetes API server; the error carries ' +
      'its status and Status reason. Informers retry it; a revision lookup for a request answers 500 ' +
      '`Error getting active endpoint: <error>` as Knative\'s context handler does.',
  },
  KDP_ERR_SCRAPE: {
    status: 502,
    cause: null,
    message: 'stats scrape failed',
    description:
      'The autoscaler (packages/autoscaler scraper.ts) could not scrape a queue-proxy\'s Stat: network, timeout, ' +
      'status, content type, decode, too few pods or aborted (the error\'s `reason`). Internal: the scrape records ' +
      'nothing and is logged.',
  },
  KDP_ERR_STAT_DECODE: {
    status: 502,
    cause: null,
    message: 'invalid Stat message',
    description:
      'A body that is not a valid autoscaler `Stat` protobuf (packages/core stat-proto.ts); fails one scrape, never ' +
      'becomes a response.',
  },
  KDP_ERR_INVALID_EVENT: {
    status: 400,
    cause: null,
    message: 'invalid CloudEvent',
    description:
      'A request or reply is not a valid CloudEvent (packages/eventing cloudevent.ts, the attribute rules of ' +
      'cloudevents/sdk-go `Validate`); the message names the attribute and the reason.',
  },
  KDP_ERR_EVENT_REFUSED: {
    status: 503,
    cause: null,
    message: 'event refused',
    description:
      'A broker did not accept an event (packages/eventing broker-engine.ts `Refusal`): its `kind` (unknown broker, ' +
      'TTL exhausted, overloaded, store failed, shutting down) picks the ingress status (404, 202 dropped, 503, 503, 503).',
  },
  KDP_ERR_CLI: {
    status: 500,
    cause: null,
    message: 'command failed',
    description: 'A `kdp` command failed (packages/cli args.ts `CliError`): printed as `kdp: <message>`, exit code 1.',
  },
  KDP_ERR_USAGE: {
    status: 400,
    cause: null,
    message: 'bad command-line usage',
    description:
      'A `kdp` command line is wrong (unknown option, missing argument; packages/cli args.ts `UsageError`): exit ' +
      'code 2 with a pointer to the command\'s help.',
  },
  KDP_ERR_SERVER_UNREACHABLE: {
    status: 503,
    cause: null,
    message: 'control API unreachable',
    description: 'The `kdp` client found no control API listening at `--server` (packages/cli client.ts); exit code 1.',
  },
  KDP_ERR_BODY_TOO_LARGE: {
    status: 413,
    cause: null,
    message: 'object too large',
    description:
      'The `kdp` client refused to send an object larger than the control API accepts (packages/cli client.ts, ' +
      'api-limits.ts); exit code 1.',
  },
} as const satisfies Record<`KDP_ERR_${string}`, KdpErrorInfo>;

export type KdpErrorCode = keyof typeof KDP_ERRORS;

/** Code for each cause; one code per cause. */
export const CAUSE_CODES: Readonly<Record<KdpCause, KdpErrorCode>> = Object.freeze({
  'queue-full': 'KDP_ERR_QUEUE_FULL',
  timeout: 'KDP_ERR_TIMEOUT',
  'upstream-unreachable': 'KDP_ERR_UPSTREAM_UNREACHABLE',
  draining: 'KDP_ERR_DRAINING',
  'not-found': 'KDP_ERR_NOT_FOUND',
  overloaded: 'KDP_ERR_OVERLOADED',
  'bad-request': 'KDP_ERR_BAD_REQUEST',
  'upstream-error': 'KDP_ERR_UPSTREAM_ERROR',
});

/** Headers Go's `http.Error` sets; a generated text response carries them plus `X-Kdp-Error`. */
export const TEXT_ERROR_HEADERS: readonly string[] = Object.freeze([
  'Content-Type',
  'text/plain; charset=utf-8',
  'X-Content-Type-Options',
  'nosniff',
]);

// Built once at load: responding with an error copies no header list and allocates nothing per request.
const headersByCause: Readonly<Record<KdpCause, readonly string[]>> = Object.freeze({
  'queue-full': build('queue-full'),
  timeout: build('timeout'),
  'upstream-unreachable': build('upstream-unreachable'),
  draining: build('draining'),
  'not-found': build('not-found'),
  overloaded: build('overloaded'),
  'bad-request': build('bad-request'),
  'upstream-error': build('upstream-error'),
});

function build(cause: KdpCause): readonly string[] {
  return Object.freeze([...TEXT_ERROR_HEADERS, KDP_ERROR_HEADER, cause]);
}

/**
 * Flat `[name, value, ...]` header list for a generated text response with this cause: `Content-Type`,
 * `X-Content-Type-Options` (as Go's `http.Error`) and `X-Kdp-Error`. The same frozen array on every call.
 */
export function errorHeaders(cause: KdpCause): readonly string[] {
  return headersByCause[cause];
}

// The catalogue's texts as Go's `http.Error` writes them (message + newline), built once like the header lists.
const bodiesByCause: Readonly<Record<KdpCause, string>> = Object.freeze({
  'queue-full': `${KDP_ERRORS.KDP_ERR_QUEUE_FULL.message}\n`,
  timeout: `${KDP_ERRORS.KDP_ERR_TIMEOUT.message}\n`,
  'upstream-unreachable': `${KDP_ERRORS.KDP_ERR_UPSTREAM_UNREACHABLE.message}\n`,
  draining: `${KDP_ERRORS.KDP_ERR_DRAINING.message}\n`,
  'not-found': `${KDP_ERRORS.KDP_ERR_NOT_FOUND.message}\n`,
  overloaded: `${KDP_ERRORS.KDP_ERR_OVERLOADED.message}\n`,
  'bad-request': `${KDP_ERRORS.KDP_ERR_BAD_REQUEST.message}\n`,
  'upstream-error': `${KDP_ERRORS.KDP_ERR_UPSTREAM_ERROR.message}\n`,
});

/**
 * Body of a generated text response with this cause's catalogue message (Knative's wording), newline-terminated as
 * Go's `http.Error` writes it: `errorBody('draining')` is `shutting down\n`. The same string on every call, so every
 * service answers with one text.
 */
export function errorBody(cause: KdpCause): string {
  return bodiesByCause[cause];
}

/**
 * The root of every kdp error class, in every package (as undici's `UndiciError` and fastify's `FastifyError` are):
 * a stable `code` from the catalogue above, a `name` naming the class, and `instanceof KdpBaseError` to tell kdp's
 * own failures from anything else. A subclass sets `name` in its constructor and declares its `code` (and its status
 * or exit code where it has one); the message is the subclass's to word. Only the workspace's one copy of
 * `@kdp/core` is ever loaded, so a plain prototype chain is enough for `instanceof` across packages.
 */
export abstract class KdpBaseError extends Error {
  abstract readonly code: KdpErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KdpBaseError';
  }
}

/**
 * An error that becomes a response generated by kdp. `cause` is the `X-Kdp-Error` value (it deliberately shadows
 * ES2022 `Error.cause`; wrap low-level errors in the message or log them beside it).
 */
export class KdpError extends KdpBaseError {
  readonly code: KdpErrorCode;
  readonly status: number;
  override readonly cause: KdpCause;

  constructor(cause: KdpCause, message?: string) {
    const code = CAUSE_CODES[cause];
    const info: KdpErrorInfo = KDP_ERRORS[code];
    super(message ?? info.message);
    this.name = 'KdpError';
    this.code = code;
    this.status = info.status;
    this.cause = cause;
  }

  /** The header list for this error's response (`errorHeaders(this.cause)`). */
  get headers(): readonly string[] {
    return headersByCause[this.cause];
  }
}

/**
 * Configuration problems, all of them: one line each naming the variable (or field) and the reason. The one
 * config-problems error of every package; every binary turns it into one stderr line per problem and a non-zero exit.
 *
 * Arguments, in this order everywhere: the problem `lines`, then the `subject` that was configured, a noun phrase
 * (default `configuration`): the message reads `invalid <subject>:` and then the lines, indented, one per line.
 * A package that needs its own name for `instanceof` at a catch site subclasses it with the same arguments.
 */
export class ConfigError extends KdpBaseError {
  readonly code: KdpErrorCode = 'KDP_ERR_CONFIG';
  readonly status: number = KDP_ERRORS.KDP_ERR_CONFIG.status;
  readonly lines: readonly string[];
  readonly subject: string;

  constructor(lines: readonly string[], subject = 'configuration') {
    const copy = Object.freeze(lines.slice());
    super(`invalid ${subject}:\n  ${copy.join('\n  ')}`);
    this.name = 'ConfigError';
    this.lines = copy;
    this.subject = subject;
  }
}
