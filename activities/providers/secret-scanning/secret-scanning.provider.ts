import type { CredentialRef, ProviderCall } from '../../../lib/providers/capabilities';

/** How a secret-scanning alert is closed, as GitHub names it. */
export const SECRET_SCANNING_RESOLUTIONS = ['revoked', 'false_positive', 'used_in_tests', 'wont_fix'] as const;
export type SecretScanningResolution = (typeof SECRET_SCANNING_RESOLUTIONS)[number];

/** An alert raised by a code host's secret scanning. */
export interface SecretScanningAlertRef {
  /** "owner/name". */
  repository: string;
  alertNumber: number;
}

export interface ClosedAlert extends SecretScanningAlertRef {
  state: 'resolved';
  resolution: SecretScanningResolution;
  resolvedAt: string;
}

/**
 * The code host whose secret scanning raised the alert a leak came from (GitHub): reads the
 * leaked secret, which its webhooks do not carry, and closes the alert once it is dealt with.
 */
export interface SecretScanningProvider {
  /** How long the door waits for `describeSecret` before opening the incident without the secret. */
  readonly intakeTimeoutMs?: number;
  /**
   * The alert's leaked secret, reduced at once to type, keyed fingerprint (the door's) and last
   * four characters: the value itself never leaves the vendor's code.
   */
  describeSecret(call: ProviderCall, ref: SecretScanningAlertRef): Promise<CredentialRef>;
  /** Safe to repeat: closing an alert already closed with the same resolution changes nothing. */
  closeAlert(call: ProviderCall, ref: SecretScanningAlertRef, resolution: SecretScanningResolution, comment: string): Promise<ClosedAlert>;
}
