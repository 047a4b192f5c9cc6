// Errors of the router package. Both are configuration problems (a traffic spec, or the input a route table is
// built from), so both carry the catalogue's `KDP_ERR_CONFIG` code; neither is raised on a request path.

import { formatFieldIssues, type FieldIssue } from './field-error.js';

/**
 * A `spec.traffic` that Knative's webhook would reject. `message` is exactly the text Knative's admission
 * webhook reports (`FieldError.Error()`); `issues` holds the same problems as data.
 */
export class TrafficValidationError extends Error {
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
export class RouteTableError extends Error {
  readonly code = 'KDP_ERR_CONFIG';
  readonly status = 500;
  readonly lines: readonly string[];

  constructor(lines: readonly string[]) {
    const copy = Object.freeze(lines.slice());
    super(`invalid route table input:\n  ${copy.join('\n  ')}`);
    this.name = 'RouteTableError';
    this.lines = copy;
  }
}
