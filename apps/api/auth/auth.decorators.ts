import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Caller, Role } from './roles';

export const ROLE_KEY = 'palisade:role';
export const PUBLIC_KEY = 'palisade:public';
export const STREAM_TICKET_KEY = 'palisade:stream-ticket';

/** The least role a route needs (routes without it need any valid token: viewer). */
export const RequireRole = (role: Role) => SetMetadata(ROLE_KEY, role);

/** A route that proves its caller otherwise (webhook secrets, Slack signatures) or serves no data (health). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/**
 * A GET route of one incident (`:id`) that also takes a stream ticket as `?ticket=` (a browser's
 * EventSource cannot set headers, and a token in a URL ends up in proxies' logs): short-lived,
 * single-use, for that incident only (StreamTickets).
 */
export const AllowStreamTicket = () => SetMetadata(STREAM_TICKET_KEY, true);

export type AuthenticatedRequest = Request & { caller?: Caller };

/** The caller the AuthGuard found for this request. */
export const CurrentCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (!caller) throw new Error('CurrentCaller on a public route');
  return caller;
});
