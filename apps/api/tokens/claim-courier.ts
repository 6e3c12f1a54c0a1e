import type { Person } from '../../../lib/people';

/**
 * Delivers a token's claim code to the person it names, through a channel its maker does not
 * control (Slack: a direct message from the bot to the Slack user people.yaml names). Throws
 * when it cannot; answers where it sent the code, in words.
 */
export interface ClaimCourier {
  send(person: Person, text: string): Promise<string>;
}

/** Where the claim code of a token made for someone else went, as POST /tokens answers. */
export type ClaimDelivery =
  /** Bound already (made by its person, or a game-day token): nothing to claim. */
  | { status: 'not_needed' }
  /** Its name is nobody in people.yaml (a script's token): it votes as nobody, nothing to claim. */
  | { status: 'not_a_person' }
  | { status: 'sent'; to: string; expiresAt: Date }
  /** Slack is off, or did not take the message: the token stays its maker's until made again. */
  | { status: 'not_sent'; reason: string };
