// Errors of the autoscaler package. Validation problems are the catalogue's configuration error; scrape failures
// are internal (a failed scrape records nothing and is logged): `KDP_ERR_SCRAPE`, with a `reason` saying why.
import { ConfigError, KdpBaseError } from '@kdp/core';

/**
 * Invalid autoscaler configuration or revision annotations: every problem found, one line each, worded as Knative's
 * validation words it (`expected 6s <= 1s <= 1h0m0s: autoscaling.knative.dev/window`).
 */
export class AutoscalingValidationError extends ConfigError {
  /** `subject` names what was checked (`autoscaler configuration`, `revision autoscaling settings`). */
  constructor(lines: readonly string[], subject: string) {
    super(lines, subject);
    this.name = 'AutoscalingValidationError';
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

export class ScrapeError extends KdpBaseError {
  readonly code = 'KDP_ERR_SCRAPE';
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
