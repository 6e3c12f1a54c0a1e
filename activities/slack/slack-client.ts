import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, LogLevel, WebClient, type WebAPICallError } from '@slack/web-api';
import type { SlackConfig } from '../../lib/config/env';
import { SlackFailure } from '../../lib/slack/failures';

/** Slack `error` codes worth another try; any other `ok: false` answer is a configuration problem. */
const RETRYABLE_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);


/**
 * The worker's Slack Web API client: one attempt per call, so Temporal's retry policy (visible
 * in the workflow's history) owns the backoff, and a 429's Retry-After becomes the next
 * attempt's delay instead of a sleep inside the activity.
 */
export function createSlackClient(config: SlackConfig): WebClient {
  return new WebClient(config.botToken, {
    slackApiUrl: config.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 5_000,
    logLevel: LogLevel.ERROR,
  });
}

/** A Slack error as the failure Temporal retries (or does not). */
export function slackFailure(err: unknown, what: string): ApplicationFailure {
  const e = err as Partial<WebAPICallError> & { message?: string };
  switch (e.code) {
    case ErrorCode.RateLimitedError: {
      const seconds = 'retryAfter' in e && typeof e.retryAfter === 'number' ? e.retryAfter : 1;
      return ApplicationFailure.create({
        type: SlackFailure.RateLimited,
        message: `Slack rate-limited ${what}: retrying after ${seconds}s (Retry-After)`,
        nextRetryDelay: `${Math.max(1, seconds)}s`,
      });
    }
    case ErrorCode.HTTPError: {
      const status = 'statusCode' in e ? e.statusCode : undefined;
      // 4xx other than 429: a wrong SLACK_API_URL or a proxy refusing; retrying will not help.
      if (status !== undefined && status >= 400 && status < 500) {
        return ApplicationFailure.nonRetryable(`Slack answered HTTP ${status} to ${what} (check SLACK_API_URL)`, SlackFailure.Refused);
      }
      return ApplicationFailure.retryable(`Slack answered HTTP ${status} to ${what}`, SlackFailure.Unreachable);
    }
    case ErrorCode.PlatformError: {
      const code = 'data' in e ? (e.data as { error?: string }).error : undefined;
      if (code && RETRYABLE_PLATFORM_ERRORS.has(code)) return ApplicationFailure.retryable(`Slack failed ${what}: ${code}`, SlackFailure.Unreachable);
      return ApplicationFailure.nonRetryable(`Slack refused ${what}: ${code ?? 'unknown error'} (check the channel, the bot's scopes and that it is invited)`, SlackFailure.Refused);
    }
    default:
      return ApplicationFailure.retryable(`Slack could not be reached for ${what}: ${e.message ?? String(err)}`, SlackFailure.Unreachable);
  }
}
