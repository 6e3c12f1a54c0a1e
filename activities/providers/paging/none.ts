import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import type { PageEvent, PageReceipt, PagingProvider } from './paging.provider';

/** No pager is configured: nothing is queued for one (lib/db/paging-outbox.ts), and a call says why. */
export class NoPaging implements PagingProvider {
  send(event: PageEvent): Promise<PageReceipt> {
    return Promise.reject(
      providerError(ProviderErrorType.Invalid, `Palisade cannot page '${event.service}': vendors.paging in runbooks/providers.yaml is none (README "Paging and tickets").`),
    );
  }
}
