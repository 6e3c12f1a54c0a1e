import { HttpStatus } from '@nestjs/common';
import { isGrpcServiceError, QueryNotRegisteredError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApiError } from './error.filter';

/** How long an API request waits for Temporal before answering 503 (the gRPC client retries meanwhile). */
export const TEMPORAL_DEADLINE_MS = 5_000;

// gRPC status codes (grpc-js `status`): the server is down or did not answer in time.
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

/** True when Temporal could not be reached, or did not answer before the deadline. */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (!isGrpcServiceError(e)) continue;
    const code: number = e.code;
    if (code === UNAVAILABLE || code === DEADLINE_EXCEEDED) return true;
  }
  return false;
}

/** 503 `temporal_unavailable`: what could not be done, and what the caller should do. */
export function temporalUnavailable(message: string, hint = 'Retry in a few seconds (see Retry-After); GET /readyz shows whether Temporal answers.'): ApiError {
  return new ApiError(HttpStatus.SERVICE_UNAVAILABLE, 'temporal_unavailable', message, hint);
}

/** null for a running playbook that registers no `state` query (it keeps no gates: manual-incident); other errors as they are. */
export function noStateQuery(err: unknown): null {
  if (err instanceof QueryNotRegisteredError) return null;
  throw err;
}
