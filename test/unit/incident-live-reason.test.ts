import { Metadata, status } from '@grpc/grpc-js';
import { QueryNotRegisteredError, ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { LogThrottle } from '../../apps/api/common/log-throttle';
import { unreadStateReason } from '../../apps/api/common/temporal-errors';

/** An error as grpc-js makes it from a call's status (callErrorFromStatus): `code`, `details`, `metadata`. */
function grpcError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}
/** What WorkflowClient's query and describe throw for a gRPC error it does not know (rethrowGrpcError in @temporalio/client). */
const failedCall = (code: status, details: string) => new ServiceError('Failed to query Workflow', { cause: grpcError(code, details) });

// GET /incidents/:id said `liveStatus: 'unreachable'` and nothing more, and the page showed
// "Stuck: no" and "Current step: —" as facts: `liveReason` says why the state could not be read.
describe("why an incident's live state could not be read", () => {
  it('names the worker failing the query, with its reason, and says to log it', () => {
    expect(unreadStateReason(new QueryNotRegisteredError("Cannot read properties of undefined (reading 'values')", status.INVALID_ARGUMENT), 2_000)).toEqual({
      reason: "the playbook's worker failed the state query: Cannot read properties of undefined (reading 'values')",
      workerFailed: true,
    });
  });

  it('points at GET /deploys when no worker polls the run\'s build, quoting Temporal', () => {
    const { reason, workerFailed } = unreadStateReason(failedCall(status.FAILED_PRECONDITION, 'no poller seen for task queue recently, worker may be down'), 2_000);
    expect(reason).toBe('no worker has polled this run\'s build recently: see GET /deploys (Temporal: "no poller seen for task queue recently, worker may be down")');
    expect(workerFailed).toBe(false);
  });

  it('tells a workflow task that keeps failing from another refusal', () => {
    expect(unreadStateReason(failedCall(status.FAILED_PRECONDITION, 'Unable to query workflow due to Workflow Task in failed state.'), 2_000).reason).toMatch(/^the playbook's workflow task keeps failing on its worker/);
    expect(unreadStateReason(failedCall(status.FAILED_PRECONDITION, 'namespace is not active'), 2_000).reason).toBe('Temporal refused the state query for now (Temporal: "namespace is not active")');
  });

  it('says Temporal did not answer within the deadline for a deadline passed, a cancelled call or Temporal down', () => {
    for (const code of [status.DEADLINE_EXCEEDED, status.CANCELLED, status.UNAVAILABLE]) {
      expect(unreadStateReason(failedCall(code, 'x'), 2_000)).toEqual({ reason: "Temporal, or the run's worker, did not answer within 2 s", workerFailed: false });
    }
  });
});

describe('LogThrottle', () => {
  it('logs the first time, on a change of reason, and the same reason again at most once per period, per key, within its cap', () => {
    let now = 0;
    const throttle = new LogThrottle(60_000, 2, () => now);
    const logged = (key: string, reason: string) => throttle.shouldLog(key, reason);
    expect([logged('a', 'x'), logged('a', 'x'), logged('b', 'x')]).toEqual([true, false, true]);
    now = 59_999;
    expect([logged('a', 'x'), logged('a', 'y'), logged('a', 'y')]).toEqual([false, true, false]);
    now = 59_999 + 60_000;
    expect(logged('a', 'y')).toBe(true);
    throttle.forget('a');
    expect(logged('a', 'y')).toBe(true);
    // Past its cap, the key logged longest ago is forgotten first.
    expect(logged('c', 'x')).toBe(true);
    expect(throttle.size).toBe(2);
    expect([logged('a', 'y'), logged('b', 'x')]).toEqual([false, true]);
  });
});
