// What callers of the secret-leak playbook need: its name, version and input.
import type { CredentialRef } from '../../lib/providers/capabilities';

export const SECRET_LEAK = { name: 'secret-leak', version: '1.0.0', workflowType: 'secretLeak' } as const;

export type Confidence = 'high' | 'medium' | 'low';

/** Input when started by hand; from a webhook, the alert's secret descriptor is used. */
export interface SecretLeakParams {
  type?: string;
  fingerprint?: string;
  last4?: string;
  /** When the secret became public (default: when the alert saw it). */
  exposedAt?: string;
  /** How sure the detector is that this is a live secret: only `high` is revoked without asking. */
  confidence?: Confidence;
}

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
