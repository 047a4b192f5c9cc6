// Errors of the autoscaler package. Validation problems carry the catalogue's configuration code; scrape failures
// are internal (a failed scrape records nothing and is logged), so they carry a `reason` instead of a catalogue code.

/**
 * Invalid autoscaler configuration or revision annotations: every problem found, one line each, worded as Knative's
 * validation words it (`expected 6s <= 1s <= 1h0m0s: autoscaling.knative.dev/window`).
 */
export class AutoscalingValidationError extends Error {
  readonly code = 'KDP_ERR_CONFIG';
  readonly lines: readonly string[];

  constructor(what: string, lines: readonly string[]) {
    const copy = Object.freeze(lines.slice());
    super(`invalid ${what}:\n  ${copy.join('\n  ')}`);
    this.name = 'AutoscalingValidationError';
    this.lines = copy;
  }
}

/** Why one pod scrape (or a whole revision scrape) failed. */
export const ScrapeFailure = {
  /** Connection refused/reset, DNS, socket error. */
  network: 'network',
  /** No complete answer within the scrape timeout (3 s, like Knative's HTTP client). */
  timeout: 'timeout',
  /** A status outside 2xx. */
  status: 'status',
  /** `Content-Type` other than exactly `application/protobuf`. */
  contentType: 'content-type',
  /** The body is not a valid `Stat`. */
  decode: 'decode',
  /** Too few pods answered to fill the sample (Knative `errPodsExhausted`). */
  podsExhausted: 'pods-exhausted',
  /** The scrape was cancelled (revision removed, autoscaler stopped). */
  aborted: 'aborted',
} as const;
export type ScrapeFailure = (typeof ScrapeFailure)[keyof typeof ScrapeFailure];

export class ScrapeError extends Error {
  readonly reason: ScrapeFailure;
  /** HTTP status for `reason === 'status'`. */
  readonly status: number | undefined;

  constructor(reason: ScrapeFailure, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScrapeError';
    this.reason = reason;
    this.status = options?.status;
  }
}
