import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import type { IdentityProvider } from './identity.provider';

const HOW = 'vendors.identity in runbooks/providers.yaml is none: name simulated or aws-iam and its settings (README "Real providers")';

/**
 * No account directory is configured (a providers file from before the identity capability):
 * every call fails as not retryable, saying so; the playbook's step fails and pages on-call,
 * so an account takeover is never answered by a pretend disable.
 */
export class NoIdentity implements IdentityProvider {
  private refuse(what: string, accountId: string): Promise<never> {
    return Promise.reject(providerError(ProviderErrorType.Invalid, `Palisade cannot ${what} account ${accountId}: ${HOW}. Do it in the directory by hand.`));
  }

  lookupAccount(_call: unknown, accountId: string): Promise<never> {
    return this.refuse('look up', accountId);
  }

  revokeSessions(_call: unknown, accountId: string): Promise<never> {
    return this.refuse('revoke the sessions of', accountId);
  }

  deactivateKeys(_call: unknown, accountId: string): Promise<never> {
    return this.refuse('deactivate the keys of', accountId);
  }

  disable(_call: unknown, accountId: string): Promise<never> {
    return this.refuse('disable', accountId);
  }

  enable(_call: unknown, accountId: string): Promise<never> {
    return this.refuse('enable', accountId);
  }

  forceCredentialReset(_call: unknown, accountId: string): Promise<never> {
    return this.refuse('reset the password of', accountId);
  }
}
