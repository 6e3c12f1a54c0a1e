import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import type { TicketingProvider, TicketSpec } from './ticketing.provider';

const HOW = 'vendors.ticketing in runbooks/providers.yaml is none (README "Paging and tickets")';

/** No ticket system is configured: nothing is queued for one, and a call says why. */
export class NoTicketing implements TicketingProvider {
  open(spec: TicketSpec): Promise<never> {
    return Promise.reject(providerError(ProviderErrorType.Invalid, `Palisade cannot open a ticket in ${spec.project}: ${HOW}.`));
  }

  comment(): Promise<never> {
    return Promise.reject(providerError(ProviderErrorType.Invalid, `Palisade cannot comment on a ticket: ${HOW}.`));
  }

  close(): Promise<never> {
    return Promise.reject(providerError(ProviderErrorType.Invalid, `Palisade cannot close a ticket: ${HOW}.`));
  }
}
