import { HttpStatus } from '@nestjs/common';
import { isGrpcServiceError, QueryNotRegisteredError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { stateQuery } from '../../../workflows/shared/messages';
import { ApiError } from './error.filter';

/** How long an API request waits for Temporal before answering 503 (the gRPC client retries meanwhile). */
export const TEMPORAL_DEADLINE_MS = 5_000;

// gRPC status codes (grpc-js `status`): the server is down or did not answer in time. The API never
// cancels a Temporal call itself, so CANCELLED is the server (or the channel closing) giving up:
// seen when a query went to a worker that polled and then hung (SIGSTOP), before the deadline.
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const CANCELLED = 1;
// ...or it answered that the run cannot take this now (see temporalRefusal).
const FAILED_PRECONDITION = 9;

/** The gRPC status Temporal answered with, from `err` or its causes (the client wraps it in a ServiceError). */
function grpcStatusOf(err: unknown): { code: number; details: string } | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e)) return { code: e.code, details: e.details };
  }
  return undefined;
}

/** True when Temporal could not be reached, or did not answer before the deadline. */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const code = grpcStatusOf(err)?.code;
  return code === UNAVAILABLE || code === DEADLINE_EXCEEDED || code === CANCELLED;
}

/**
 * Temporal's refusal of a query or Update on a run (FAILED_PRECONDITION), with its reason, or undefined:
 * - `no-worker`: its matching service answers "no poller seen for task queue recently, worker may be
 *   down" 1 s before the caller's deadline when no worker has polled the run's version of its task
 *   queue for 20 s (QueryPollerUnavailableWindow): a version whose worker stopped a while ago, or one
 *   none ever ran.
 * - `task-failing`: its history service answers "... due to Workflow Task in failed state" once the
 *   run's workflow task has failed again and again: the worker polls, but cannot run it (a bug, or
 *   non-determinism after a deploy).
 * - `other`: anything else it refuses for now (a run's limit on Updates in flight, a namespace not active here).
 */
export function temporalRefusal(err: unknown): { kind: 'no-worker' | 'task-failing' | 'other'; reason: string } | undefined {
  const status = grpcStatusOf(err);
  if (status?.code !== FAILED_PRECONDITION) return undefined;
  const reason = status.details || 'FAILED_PRECONDITION';
  if (/no poller seen/i.test(reason)) return { kind: 'no-worker', reason };
  if (/workflow task in failed state/i.test(reason)) return { kind: 'task-failing', reason };
  return { kind: 'other', reason };
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

/**
 * How a run's worker answers a query for which its workflow registers no handler: the TypeScript
 * SDK's own wording, from @temporalio/workflow src/internals.ts (Activator.queryWorkflowNextHandler):
 *   `Workflow did not register a handler for ${queryName}. Registered queries: [${knownQueryTypes}]`
 * Temporal hands the worker's message on unchanged as the gRPC status's (see queryFailedReason).
 */
function noHandlerAnswer(queryName: string): string {
  return `Workflow did not register a handler for ${queryName}. `;
}

/**
 * The worker's reason when it failed a query, or undefined. Temporal answers a query the worker
 * failed with QueryFailed, a gRPC INVALID_ARGUMENT carrying the worker's message (server:
 * service/history/api/queryworkflow/api.go and service/matching/matching_engine.go,
 * `serviceerror.NewQueryFailedWithFailure(...GetErrorMessage(), ...)`; go.temporal.io/api
 * serviceerror/query_failed.go, `status.New(codes.InvalidArgument, e.Message)`), and
 * @temporalio/client's `_queryWorkflowHandler` throws every INVALID_ARGUMENT as
 * QueryNotRegisteredError, whatever the worker's reason: no such handler, but also a handler that
 * threw, or a run the worker could not replay (non-determinism after a deploy).
 */
export function queryFailedReason(err: unknown): string | undefined {
  return err instanceof QueryNotRegisteredError ? err.message || 'INVALID_ARGUMENT' : undefined;
}

/**
 * null for a running playbook that registers no `state` query (it keeps no gates): only the worker's
 * own answer for a missing handler. Any other failure of the query (a handler that throws, a run its
 * worker cannot replay) is thrown as it is: read as "no state", it would hide a waiting gate.
 */
export function noStateQuery(err: unknown): null {
  if (queryFailedReason(err)?.startsWith(noHandlerAnswer(stateQuery.name))) return null;
  throw err;
}

/**
 * Why a playbook's state could not be read, in a responder's words (GET /incidents/:id `liveReason`,
 * the incident page), from the same mapping the approvals API answers with (mapTemporalError):
 * the worker failed the query, Temporal refused it (no worker polls the run's build, its workflow
 * task keeps failing, another refusal for now), or Temporal or the worker did not answer in time.
 * `workerFailed` is set when the run's worker answered the query with a failure (worth a warning in
 * the log; a workflow task that keeps failing is the stuck watcher's to report).
 */
export function unreadStateReason(err: unknown, deadlineMs: number): { reason: string; workerFailed: boolean } {
  const failed = queryFailedReason(err);
  if (failed !== undefined) return { reason: `the playbook's worker failed the state query: ${failed}`, workerFailed: true };
  const refusal = temporalRefusal(err);
  if (refusal?.kind === 'no-worker') return { reason: `no worker has polled this run's build recently: see GET /deploys (Temporal: "${refusal.reason}")`, workerFailed: false };
  if (refusal?.kind === 'task-failing') return { reason: `the playbook's workflow task keeps failing on its worker: see GET /deploys (Temporal: "${refusal.reason}")`, workerFailed: false };
  if (refusal) return { reason: `Temporal refused the state query for now (Temporal: "${refusal.reason}")`, workerFailed: false };
  if (isTemporalUnreachable(err)) return { reason: `Temporal, or the run's worker, did not answer within ${deadlineMs / 1000} s`, workerFailed: false };
  return { reason: `the state query failed: ${err instanceof Error ? err.message : String(err)}`, workerFailed: false };
}
