import { HttpException, Logger } from '@nestjs/common';
import { Metadata, status } from '@grpc/grpc-js';
import { ApplicationFailure, QueryNotRegisteredError, ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mapTemporalError, type TemporalErrorHints } from '../../apps/api/approvals/approvals.service';
import { noStateQuery } from '../../apps/api/common/temporal-errors';

const ID = '0d96a8ea-1b0d-476e-82a9-859883e7613f';

/** An error as grpc-js makes it from a call's status (callErrorFromStatus): `code`, `details`, `metadata`. */
function grpcError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

/** What WorkflowClient's query and describe throw for a gRPC error it does not know (rethrowGrpcError in @temporalio/client). */
const failedQuery = (code: status, details: string) => new ServiceError('Failed to query Workflow', { cause: grpcError(code, details) });

/**
 * What WorkflowClient's query throws when Temporal answers QueryFailed (gRPC INVALID_ARGUMENT with the
 * worker's message), whatever the worker's reason (_queryWorkflowHandler in @temporalio/client).
 */
const workerFailedQuery = (details: string) =>
  new QueryNotRegisteredError(grpcError(status.INVALID_ARGUMENT, details).message.replace(/^3 INVALID_ARGUMENT: /, ''), status.INVALID_ARGUMENT);

function answer(err: unknown, hints?: TemporalErrorHints): unknown {
  const mapped = mapTemporalError(err, ID, 'read its approvals', hints);
  return mapped instanceof HttpException ? { status: mapped.getStatus(), body: mapped.getResponse() } : mapped;
}

// Temporal's matching service refuses a query with FAILED_PRECONDITION "no poller seen for task
// queue recently, worker may be down" when no worker has polled the run's version for 20 s; the
// client wraps it in a ServiceError. GET /incidents/:id/approvals answered it with a 500.
describe('the approvals API on Temporal errors', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers a query refused for want of a worker with 503 naming GET /deploys and Temporal\'s reason', () => {
    expect(answer(failedQuery(status.FAILED_PRECONDITION, 'no poller seen for task queue recently, worker may be down'))).toMatchObject({
      status: 503,
      body: {
        error: 'temporal_unavailable',
        message: expect.stringMatching(/version no worker runs .*no poller seen for task queue recently/),
        hint: expect.stringContaining('GET /deploys'),
      },
    });
  });

  it('answers a run whose workflow task keeps failing (its worker polls) with 502 playbook_failed, and the vote as not counted', () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    // The history service's refusal (service/history/api/queryworkflow/api.go, updateworkflow): not a missing worker.
    const res = answer(failedQuery(status.FAILED_PRECONDITION, 'Unable to query workflow due to Workflow Task in failed state.'), { refused: 'The vote did not count.' });
    expect(res).toMatchObject({ status: 502, body: { error: 'playbook_failed', message: expect.stringContaining('its workflow task keeps failing on its worker') } });
    const { hint } = (res as { body: { hint: string } }).body;
    expect(hint.startsWith('The vote did not count. ')).toBe(true);
    expect(hint).toContain("The worker's logs");
  });

  it('answers any other refusal for now with 503 quoting Temporal, without blaming a worker', () => {
    const res = answer(failedQuery(status.FAILED_PRECONDITION, 'limit on number of total updates has been reached'));
    expect(res).toMatchObject({ status: 503, body: { error: 'temporal_unavailable', message: expect.stringContaining('limit on number of total updates has been reached') } });
    expect((res as { body: { message: string } }).body.message).not.toContain('worker');
  });

  it("answers a vote whose handler failed on the worker with 502 playbook_failed, the vote not counted, and no playbook without gates", () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const threw = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: "Cannot read properties of undefined (reading 'values')", type: 'TypeError' }));
    const res = mapTemporalError(threw, ID, 'take the vote', { refused: 'The vote did not count.' });
    expect(res).toBeInstanceOf(HttpException);
    const http = res as HttpException;
    expect(http.getStatus()).toBe(502);
    expect(http.getResponse()).toMatchObject({ error: 'playbook_failed', message: expect.stringContaining("its handler failed on the worker (\"Cannot read properties of undefined (reading 'values')\")") });
  });

  it('answers a deadline passed or Temporal unreachable with 503, pointing at GET /readyz and GET /deploys, keeping the vote\'s own hint first', () => {
    // CANCELLED: the server giving up on a query it handed to a worker that polled, then hung (seen with the worker stopped by SIGSTOP).
    for (const err of [failedQuery(status.DEADLINE_EXCEEDED, 'Deadline exceeded after 5.001s'), failedQuery(status.UNAVAILABLE, 'No connection established'), failedQuery(status.CANCELLED, 'Call cancelled'), new WorkflowUpdateRPCTimeoutOrCancelledError('timeout', { cause: grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded') })]) {
      const res = answer(err, { unsure: 'The vote may or may not have counted: GET /incidents/:id/approvals shows it once Temporal answers.', refused: 'The vote did not count.' });
      expect(res).toMatchObject({ status: 503, body: { error: 'temporal_unavailable', message: expect.stringContaining('version no worker runs') } });
      const { hint } = (res as { body: { hint: string } }).body;
      expect(hint.startsWith(`The vote may or may not have counted: GET /incidents/${ID}/approvals shows it`)).toBe(true);
      expect(hint).toContain('GET /readyz');
      expect(hint).toContain('GET /deploys');
    }
  });

  it('answers a run Temporal does not know with 409 playbook_not_running', () => {
    expect(answer(new WorkflowNotFoundError('not found', 'wf', undefined))).toMatchObject({ status: 409, body: { error: 'playbook_not_running' } });
  });

  it('logs anything else with its class and causes, and leaves it a 500', () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const err = failedQuery(status.PERMISSION_DENIED, 'Request unauthorized.');
    expect(answer(err)).toBe(err);
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/ServiceError: Failed to query Workflow <- caused by Error \(gRPC 7\): 7 PERMISSION_DENIED: Request unauthorized\./));
  });

  it('reads only the worker\'s own "no handler for state" as a playbook that keeps no state', () => {
    // @temporalio/workflow internals.ts (queryWorkflowNextHandler), with the handlers every run has.
    expect(noStateQuery(workerFailedQuery('Workflow did not register a handler for state. Registered queries: [__stack_trace __enhanced_stack_trace __temporal_workflow_metadata]'))).toBeNull();
    for (const reason of [
      "Cannot read properties of undefined (reading 'values')",
      'Workflow did not register a handler for stateV2. Registered queries: [__stack_trace]',
      '[TMPRL1100] Nondeterminism error: Timer machine does not handle this event: HistoryEvent(id: 5, ActivityTaskScheduled)',
    ]) {
      const err = workerFailedQuery(reason);
      expect(() => noStateQuery(err)).toThrow(err);
    }
    const other = failedQuery(status.FAILED_PRECONDITION, 'no poller seen for task queue recently, worker may be down');
    expect(() => noStateQuery(other)).toThrow(other);
  });

  it('answers a query the worker failed with 502 playbook_failed: Temporal\'s reason, the worker\'s logs, GET /deploys and the timeline', () => {
    const logged = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const reason = '[TMPRL1100] Nondeterminism error: Timer machine does not handle this event: HistoryEvent(id: 5, ActivityTaskScheduled)';
    const res = answer(workerFailedQuery(reason), { refused: 'The vote did not count.' });
    expect(res).toMatchObject({
      status: 502,
      body: {
        error: 'playbook_failed',
        message: expect.stringContaining(`the state query failed on its worker (or Temporal refused it), so Palisade could not read its approvals; its gates may be waiting for a vote (Temporal: "${reason}")`),
      },
    });
    const { hint } = (res as { body: { hint: string } }).body;
    expect(hint.startsWith('The vote did not count. ')).toBe(true);
    for (const next of ["The worker's logs", 'non-determinism', 'GET /deploys', `GET /incidents/${ID}/timeline`]) expect(hint).toContain(next);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining(reason));
  });
});
