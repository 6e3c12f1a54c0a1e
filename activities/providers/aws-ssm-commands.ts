import { GetCommandInvocationCommand, ListCommandsCommand, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ProviderErrorType } from '../../lib/providers/capabilities';
import { aws, awsErrorCode, awsFailure, sleep } from './aws-sdk';
import { providerError } from './errors';

/**
 * SSM Run Command as the AWS providers use it: send a document to instances, recognise a
 * command already sent for the same idempotency key (by its comment), and wait for each
 * instance's invocation to finish.
 */

const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);
/** A command in one of these states is not reused: a retry sends a fresh one. */
const GAVE_UP = new Set(['Failed', 'Cancelled', 'Cancelling', 'TimedOut']);

export interface Invocation {
  instanceId: string;
  /** Success, Failed, Cancelled or TimedOut. */
  status: string;
  /** E.g. DeliveryTimedOut, Undeliverable, ExecutionTimedOut. */
  details: string;
  stdout: string;
}

export interface Polling {
  intervalMs: number;
  timeoutMs: number;
}

/** The command already sent to `instanceId` with this comment (the step's marker) and not given up on, if any. */
export async function findCommand(ssm: SSMClient, instanceId: string, comment: string): Promise<string | undefined> {
  let token: string | undefined;
  do {
    const out = await aws('ssm:ListCommands', () => ssm.send(new ListCommandsCommand({ InstanceId: instanceId, NextToken: token })));
    const found = out.Commands?.find((c) => c.Comment === comment && !GAVE_UP.has(c.Status ?? ''));
    if (found?.CommandId) return found.CommandId;
    token = out.NextToken;
  } while (token);
  return undefined;
}

export async function sendCommand(
  ssm: SSMClient,
  input: { document: string; instanceIds: string[]; parameters: Record<string, string[]>; comment: string; outputS3Bucket?: string; outputS3KeyPrefix?: string },
): Promise<string> {
  const out = await aws('ssm:SendCommand', () =>
    ssm.send(
      new SendCommandCommand({
        DocumentName: input.document,
        InstanceIds: input.instanceIds,
        Parameters: input.parameters,
        Comment: input.comment,
        OutputS3BucketName: input.outputS3Bucket,
        OutputS3KeyPrefix: input.outputS3KeyPrefix,
      }),
    ),
  );
  const id = out.Command?.CommandId;
  if (!id) throw providerError(ProviderErrorType.Unavailable, `ssm:SendCommand (${input.document}) answered without a command id.`);
  return id;
}

/**
 * Polls each instance's invocation until it finishes. Still running at the deadline: an
 * Unavailable failure, so the activity's retry finds the same command and waits again.
 */
export async function waitForInvocations(ssm: SSMClient, commandId: string, instanceIds: string[], polling: Polling): Promise<Invocation[]> {
  const done = new Map<string, Invocation>();
  const deadline = Date.now() + polling.timeoutMs;
  for (;;) {
    for (const instanceId of instanceIds) {
      if (done.has(instanceId)) continue;
      const invocation = await readInvocation(ssm, commandId, instanceId);
      if (invocation && TERMINAL.has(invocation.status)) done.set(instanceId, invocation);
    }
    if (done.size === instanceIds.length) return instanceIds.map((id) => done.get(id)!);
    if (Date.now() >= deadline) {
      const pending = instanceIds.filter((id) => !done.has(id));
      throw providerError(ProviderErrorType.Unavailable, `SSM command ${commandId} is still running on ${pending.join(', ')} after ${polling.timeoutMs} ms.`, [
        { commandId, pending },
      ]);
    }
    await sleep(polling.intervalMs);
  }
}

async function readInvocation(ssm: SSMClient, commandId: string, instanceId: string): Promise<Invocation | undefined> {
  try {
    const out = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    return { instanceId, status: out.Status ?? 'Pending', details: out.StatusDetails ?? '', stdout: out.StandardOutputContent ?? '' };
  } catch (err) {
    // Right after SendCommand the invocation may not exist yet: still pending.
    if (awsErrorCode(err) === 'InvocationDoesNotExist') return undefined;
    throw awsFailure(err, 'ssm:GetCommandInvocation');
  }
}
