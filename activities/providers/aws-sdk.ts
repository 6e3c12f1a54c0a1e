import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { ProviderErrorType } from '../../lib/providers/capabilities';
import { providerError } from './errors';

/**
 * What the AWS providers share: calling the SDK (v3) with its errors mapped to Palisade's
 * provider error types. Clients come from the standard credential and region chain (the SDK
 * itself honours AWS_ENDPOINT_URL, AWS_REGION, profiles, instance roles); tests inject
 * clients pointed at moto.
 */

const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'TooManyUpdates',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedException',
  'AuthFailure',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'OptInRequired',
  'Blocked',
]);
const NOT_FOUND = new Set([
  // EC2 answers a malformed instance id (e.g. a hostname) this way: no such instance either.
  'InvalidInstanceID.Malformed',
  'InvalidCommandId',
  'InvocationDoesNotExist',
  'ResourceNotFoundException',
  // IAM's NoSuchEntity (SDK v3 names it NoSuchEntityException); AWS Config's resource its recorder never saw.
  'NoSuchEntity',
  'NoSuchEntityException',
  'ResourceNotDiscoveredException',
  'NotFoundException',
]);
/** SSM: the instance is not managed (agent not running, not registered, instance stopped). */
const AGENT_OFFLINE = new Set(['InvalidInstanceId']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** The AWS error code of an SDK v3 exception (`InvalidInstanceID.NotFound`, `ThrottlingException`, …). */
export function awsErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as SdkError).name : undefined;
}

/**
 * Maps an SDK error to the ApplicationFailure playbooks match on. `action` is the IAM action
 * (e.g. `ec2:ModifyInstanceAttribute`), so a denial names the permission to grant.
 */
export function awsFailure(err: unknown, action: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkError;
  const code = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const details = [{ awsCode: code, httpStatus: status, requestId: e.$metadata?.requestId, action }];
  const said = `${action} failed: ${code}: ${e.message ?? ''}`.trim();
  if (THROTTLED.has(code) || status === 429) {
    return providerError(ProviderErrorType.Throttled, `AWS throttled ${action} (${code}).`, [{ ...details[0], retryAfterMs: 1000 }]);
  }
  if (DENIED.has(code) || status === 403) {
    return providerError(ProviderErrorType.Denied, `${said}. Allow ${action} for the provider's IAM role (or check its credentials).`, details);
  }
  if (AGENT_OFFLINE.has(code)) {
    return providerError(ProviderErrorType.AgentOffline, `${said}. The SSM agent is not online for the instance (stopped, agent not running, or no instance profile).`, details);
  }
  if (code.endsWith('.NotFound') || NOT_FOUND.has(code)) return providerError(ProviderErrorType.NotFound, said, details);
  if (e.$fault === 'server' || (status !== undefined && status >= 500) || NETWORK_CODES.has(e.code ?? '') || code === 'TimeoutError') {
    return providerError(ProviderErrorType.Unavailable, said, details);
  }
  if (e.$fault === 'client') return providerError(ProviderErrorType.Invalid, said, details);
  // Not an AWS answer at all (no response): treat it as the network failing.
  return providerError(ProviderErrorType.Unavailable, `${action} did not reach AWS: ${e.message ?? code}`, details);
}

/** Runs one SDK call, rethrowing its error as a typed provider failure. */
export async function aws<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw awsFailure(err, action);
  }
}

/** An SDK paginator whose failures are typed provider failures, like `aws`. */
export async function* awsPages<T>(action: string, pages: AsyncIterable<T>): AsyncGenerator<T> {
  const it = pages[Symbol.asyncIterator]();
  for (;;) {
    const next = await aws(action, () => it.next());
    if (next.done) return;
    yield next.value;
  }
}

/** A short, stable token from an idempotency key, for tag values, comments and client tokens (all length-limited). */
export function keyToken(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
}

/** Tags as a record (the SDK returns them as a list). */
export function tagRecord(tags: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when the AWS error has one of these names (e.g. `InvalidPermission.NotFound`): the few that mean "already so". */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  return names.includes(awsErrorCode(err) ?? '');
}
