import type { ProviderCall } from '../../../lib/providers/capabilities';

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

/** Closes the alert a leak came from once it is dealt with (GitHub secret scanning). */
export interface SecretScanningProvider {
  /** Safe to repeat: closing a closed alert with the same resolution changes nothing. */
  closeAlert(call: ProviderCall, ref: SecretScanningAlertRef, resolution: SecretScanningResolution, comment: string): Promise<ClosedAlert>;
}
