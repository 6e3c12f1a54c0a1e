import type { AccountInfo, AccountStatusChange, CredentialReset, KeysDeactivated, ProviderCall, SessionRevocation } from '../../../lib/providers/capabilities';

/**
 * Accounts a takeover response acts on (AWS IAM users, a directory, the simulated fleet). Every
 * change is applied once per idempotency key; `reason` is recorded where the vendor allows.
 */
export interface IdentityProvider {
  /** The account; one nobody knows comes back with `known: false`, never an error. */
  lookupAccount(call: ProviderCall, accountId: string): Promise<AccountInfo>;
  /** Ends the sessions, refresh tokens and temporary credentials issued before now. */
  revokeSessions(call: ProviderCall, accountId: string, reason: string): Promise<SessionRevocation>;
  /** Deactivates every active long-lived key (access keys, API tokens) of the account. */
  deactivateKeys(call: ProviderCall, accountId: string, reason: string): Promise<KeysDeactivated>;
  /** Nobody can sign in or act as the account until `enable`. */
  disable(call: ProviderCall, accountId: string, reason: string): Promise<AccountStatusChange>;
  /** Undoes `disable` (the compensation a cancel runs); keys and sessions stay revoked. */
  enable(call: ProviderCall, accountId: string, reason: string): Promise<AccountStatusChange>;
  /**
   * The password stops working: replaced by a random one nobody is told, to be set anew at the
   * next sign-in through the owner's help desk. A reset-at-next-sign-in flag alone would let
   * whoever knows the old password choose the new one.
   */
  forceCredentialReset(call: ProviderCall, accountId: string, reason: string): Promise<CredentialReset>;
}
