// Errors of the control API, and their one conversion to a Kubernetes `Status` body (k8s.io/apimachinery
// pkg/api/errors), which is what `kn` and `kubectl` print. Messages follow the API server's wording.

import { KdpBaseError } from '@kdp/core';
import { formatFieldIssues } from '@kdp/router';
import { InvalidObjectError } from './objects/service-input.js';
import { GROUP } from './objects/types.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'MethodNotAllowed'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'InternalError';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
}

/** metav1.Status for a failure. */
export interface KubeStatus {
  apiVersion: 'v1';
  kind: 'Status';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends KdpBaseError {
  readonly code = 'KDP_ERR_API';
  constructor(
    readonly status: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** `services.serving.knative.dev "hello" not found`. */
export function notFound(resource: string, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${resource}.${GROUP} ${JSON.stringify(name)} not found`, { name, group: GROUP, kind: resource });
}

export function alreadyExists(resource: string, name: string, why?: string): ApiError {
  const base = `${resource}.${GROUP} ${JSON.stringify(name)} already exists`;
  return new ApiError(409, 'AlreadyExists', why === undefined ? base : `${base}: ${why}`, { name, group: GROUP, kind: resource });
}

export function conflict(resource: string, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${resource}.${GROUP} ${JSON.stringify(name)}: ${why}`, {
    name,
    group: GROUP,
    kind: resource,
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** The single place an error becomes a response body. Unknown errors are 500s with their message. */
export function toStatus(err: unknown): KubeStatus {
  const base = { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure' } as const;
  if (err instanceof ApiError) {
    return { ...base, message: err.message, reason: err.reason, ...(err.details !== undefined && { details: err.details }), code: err.status };
  }
  if (err instanceof InvalidObjectError) {
    // The webhook's denial; kn prints it after `admission webhook ... denied the request: `.
    return { ...base, message: `validation failed: ${formatFieldIssues(err.issues)}`, reason: 'BadRequest', code: 400 };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { ...base, message, reason: 'InternalError', code: 500 };
}
