import type { CredentialInfo, CredentialRef, CredentialUsage, ProviderCall, RotationResult } from '../../../lib/providers/capabilities';

/** Leaked credentials, known only by type and fingerprint (AWS IAM, Vault, GitHub). */
export interface CredentialsProvider {
  /** The credential this fingerprint belongs to, or null when no store knows it. */
  lookup(call: ProviderCall, ref: CredentialRef): Promise<CredentialInfo | null>;
  revoke(call: ProviderCall, credentialId: string, reason: string): Promise<CredentialInfo>;
  /** Issue a replacement and hand it to every dependent. */
  rotate(call: ProviderCall, credentialId: string): Promise<RotationResult>;
  /** Where and how it was used between `from` and `to` (e.g. CloudTrail LookupEvents). */
  findUsage(call: ProviderCall, credentialId: string, window: { from: string; to: string }): Promise<CredentialUsage[]>;
}
