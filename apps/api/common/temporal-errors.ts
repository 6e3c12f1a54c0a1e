import { HttpStatus } from '@nestjs/common';
import { isGrpcServiceError, QueryNotRegisteredError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApiError } from './error.filter';

/** How long an API request waits for Temporal before answering 503 (the gRPC client retries meanwhile). */
export const TEMPORAL_DEADLINE_MS = 5_000;

// gRPC status codes (grpc-js `status`): the server is down or did not answer in time.
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
// ...or it answered that the run cannot be reached now (no worker polls its version; its workflow task keeps failing).
const FAILED_PRECONDITION = 9;

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

/** The gRPC status Temporal answered with, from `err` or its causes (the client wraps it in a ServiceError). */
export function grpcStatusOf(err: unknown): { code: number; details: string } | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e)) return { code: e.code, details: e.details };
  }
  return undefined;
}

/**
 * Temporal's reason when it refuses a query or Update because no worker can take it now
 * (FAILED_PRECONDITION), or undefined. Its matching service answers "no poller seen for task queue
 * recently, worker may be down" 1 s before the caller's deadline, instead of DEADLINE_EXCEEDED, when
 * no worker has polled the run's version of its task queue for 20 s (QueryPollerUnavailableWindow):
 * a version whose worker stopped a while ago, or one none ever ran. Its history service answers
 * WorkflowNotReady ("Workflow Task in failed state", "not scheduled yet") the same way.
 * The client throws it as a ServiceError ("Failed to query Workflow") whose cause has the code.
 */
export function workerUnavailableReason(err: unknown): string | undefined {
  const status = grpcStatusOf(err);
  return status?.code === FAILED_PRECONDITION ? status.details || 'FAILED_PRECONDITION' : undefined;
}

/** The error and its causes on one line, each with its class and gRPC code: for the log of an error that becomes a 500. */
export function describeErrorChain(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const cls = e.constructor.name && e.constructor.name !== e.name ? `${e.constructor.name}/${e.name}` : e.name;
    parts.push(`${cls}${isGrpcServiceError(e) ? ` (gRPC ${e.code})` : ''}: ${e.message}`);
  }
  if (e !== undefined && e !== null && !(e instanceof Error)) parts.push(typeof e === 'string' ? e : JSON.stringify(e) ?? typeof e);
  return parts.join(' <- caused by ');
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
