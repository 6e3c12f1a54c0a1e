/** ApplicationFailure types the Slack activities throw: workflows match types, never messages. */
export enum SlackFailure {
  Unreachable = 'SlackUnreachable',
  RateLimited = 'SlackRateLimited',
  /** Slack answered, and said no (channel not found, bot not invited, bad token): retrying will not help. */
  Refused = 'SlackRefused',
}
