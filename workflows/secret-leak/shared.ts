// What the secret-leak playbook works on: never the value, only type, fingerprint and last four.
import type { CredentialRef } from '../../lib/providers/capabilities';

export type Confidence = 'high' | 'medium' | 'low';

/** The leak as the playbook works on it: never the value, only type, fingerprint and last four. */
export interface Leak {
  ref: CredentialRef;
  confidence: Confidence;
  /** Start of the window searched for use of the credential. */
  exposedAt: string;
}

/** The GitHub secret-scanning alert a leak came from (its opening alert's labels). */
export interface SecretScanningAlert {
  /** "owner/name". */
  repository: string;
  alertNumber: number;
  /** The alert on github.com, when the delivery gave it. */
  url?: string;
}
