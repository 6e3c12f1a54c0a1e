import type { PagingPlan } from '../db/paging-outbox';
import type { ProvidersConfig } from '../providers/providers-file';
import { loadPagingPolicy } from './policy';

/**
 * The policy file and the page and ticket vendors runbooks/providers.yaml names (`none`: that
 * half never goes out); `chat`: Slack is connected, so a policy's `post:` goes out.
 */
export function pagingPlan(providers: ProvidersConfig, pagingFile: string, chat = false): PagingPlan {
  const page = providers.vendors.paging.default;
  const ticket = providers.vendors.ticketing.default;
  return { policy: loadPagingPolicy(pagingFile), pageVendor: page === 'none' ? null : page, ticketVendor: ticket === 'none' ? null : ticket, chat };
}
