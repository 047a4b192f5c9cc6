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
      'packages/sample-app (the stand-in user container, which depends on no @kdp package) found an invalid ' +
      'environment at startup. Listed here so the code space stays one catalogue.',
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
 * An error that becomes a response generated by kdp. `cause` is the `X-Kdp-Error` value (it deliberately shadows
 * ES2022 `Error.cause`; wrap low-level errors in the message or log them beside it).
 */
export class KdpError extends Error {
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
 * Configuration problems found at startup, all of them: one `NAME: reason` line each. `subject` names what was
 * configured (`'queue-proxy'`); the message then reads `invalid queue-proxy configuration (2 problem(s)):`.
 */
export class ConfigError extends Error {
  readonly code = 'KDP_ERR_CONFIG' satisfies KdpErrorCode;
  readonly status: number = KDP_ERRORS.KDP_ERR_CONFIG.status;
  readonly lines: readonly string[];

  constructor(lines: readonly string[], subject?: string) {
    const copy = Object.freeze(lines.slice());
    const head =
      subject === undefined
        ? KDP_ERRORS.KDP_ERR_CONFIG.message
        : `invalid ${subject} configuration (${String(copy.length)} problem(s))`;
    super(`${head}:\n  ${copy.join('\n  ')}`);
    this.name = 'ConfigError';
    this.lines = copy;
  }
}
