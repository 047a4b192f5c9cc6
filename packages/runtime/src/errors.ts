import { ConfigError } from '@kdp/core';

/**
 * Errors the runtime throws. Pod and revision failures are not thrown: they are reported as events
 * (`revisionFailed`, `podStopped` with `outcome: 'failed'`), because they happen long after the call that caused them.
 *
 * The only code used is the catalogue's `KDP_ERR_CONFIG` (`@kdp/core` errors.ts): a revision or options object that
 * fails validation, with every problem listed, one `field: reason` line each. Misuse of the API (an unknown revision
 * key, a call after `close()`) throws plain `Error`s: those are bugs in the caller, not conditions to handle.
 */
export class RuntimeConfigError extends ConfigError {
  /** `subject` names what was checked (`revision default/hello-00001`, `runtime options`). */
  constructor(lines: readonly string[], subject: string) {
    super(lines, subject);
    this.name = 'RuntimeConfigError';
  }
}
