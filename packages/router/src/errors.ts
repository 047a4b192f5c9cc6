// Errors of the router package. Both are configuration problems (a traffic spec, or the input a route table is
// built from), so both carry the catalogue's `KDP_ERR_CONFIG` code; neither is raised on a request path.

import { ConfigError, KdpBaseError } from '@kdp/core';
import { formatFieldIssues, type FieldIssue } from './field-error.js';

/**
 * A `spec.traffic` that Knative's webhook would reject. `message` is exactly the text Knative's admission
 * webhook reports (`FieldError.Error()`); `issues` holds the same problems as data. Not a `ConfigError`: its message
 * is Knative's, not a list of lines, and an API answers it 400.
 */
export class TrafficValidationError extends KdpBaseError {
  readonly code = 'KDP_ERR_CONFIG';
  /** What an API answers with: the spec is the client's mistake. */
  readonly status = 400;
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    super(formatFieldIssues(issues));
    this.name = 'TrafficValidationError';
    this.issues = Object.freeze(issues.slice());
  }
}

/** Input a route table cannot be built from: every problem, one line each. A bug in the caller, not the user's. */
export class RouteTableError extends ConfigError {
  constructor(lines: readonly string[], subject = 'route table input') {
    super(lines, subject);
    this.name = 'RouteTableError';
  }
}
