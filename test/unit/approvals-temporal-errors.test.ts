import { HttpException, Logger } from '@nestjs/common';
import { Metadata, status } from '@grpc/grpc-js';
import { ServiceError, WorkflowNotFoundError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mapTemporalError } from '../../apps/api/approvals/approvals.service';

const ID = '0d96a8ea-1b0d-476e-82a9-859883e7613f';

/** An error as grpc-js makes it from a call's status (callErrorFromStatus): `code`, `details`, `metadata`. */
function grpcError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

/** What WorkflowClient's query and describe throw for a gRPC error it does not know (rethrowGrpcError in @temporalio/client). */
const failedQuery = (code: status, details: string) => new ServiceError('Failed to query Workflow', { cause: grpcError(code, details) });

function answer(err: unknown, hint?: string): unknown {
  const mapped = mapTemporalError(err, ID, 'read its approvals', hint);
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
    // The history service's own refusal (a run whose workflow task keeps failing) is the same kind of answer.
    expect(answer(failedQuery(status.FAILED_PRECONDITION, 'Unable to query workflow due to Workflow Task in failed state.'))).toMatchObject({ status: 503 });
  });

  it('answers a deadline passed or Temporal unreachable with 503, pointing at GET /readyz and GET /deploys, keeping the vote\'s own hint first', () => {
    for (const err of [failedQuery(status.DEADLINE_EXCEEDED, 'Deadline exceeded after 5.001s'), failedQuery(status.UNAVAILABLE, 'No connection established'), new WorkflowUpdateRPCTimeoutOrCancelledError('timeout', { cause: grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded') })]) {
      const res = answer(err, 'The vote may or may not have counted: GET /incidents/:id/approvals shows it once Temporal answers.');
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
});
