import { ApplicationFailure } from '@temporalio/common';
import { NON_RETRYABLE_PROVIDER_ERRORS, type ProviderErrorType } from '../../lib/providers/capabilities';

/**
 * The one way providers fail: an ApplicationFailure typed with ProviderErrorType, whose
 * retryability follows the type, so playbooks and retry policies never read messages.
 */
export function providerError(type: ProviderErrorType, message: string, details?: unknown[]): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: NON_RETRYABLE_PROVIDER_ERRORS.includes(type), details });
}
