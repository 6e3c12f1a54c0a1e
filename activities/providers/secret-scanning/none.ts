import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import type { ClosedAlert, SecretScanningAlertRef, SecretScanningProvider } from './secret-scanning.provider';

const HOW = 'vendors.secretScanning in runbooks/providers.yaml is none: name github and its settings (README "Real providers")';

/** No code host is configured: every call says so, and what a responder does instead. */
export class NoSecretScanning implements SecretScanningProvider {
  describeSecret(_call: unknown, ref: SecretScanningAlertRef): Promise<never> {
    return Promise.reject(providerError(ProviderErrorType.Invalid, `Palisade cannot ask GitHub for the secret of alert #${ref.alertNumber} in ${ref.repository}: ${HOW}.`));
  }

  closeAlert(_call: unknown, ref: SecretScanningAlertRef): Promise<ClosedAlert> {
    return Promise.reject(providerError(ProviderErrorType.Invalid, `Palisade cannot close GitHub alert #${ref.alertNumber} in ${ref.repository}: ${HOW}. Close it on GitHub by hand.`));
  }
}
