import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
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

/** Who may call a route: what the AuthGuard enforces and what the OpenAPI document declares. */
export interface RouteAccess {
  public: boolean;
  /** The least role (viewer when the route names none). */
  role: Role;
  streamTicket: boolean;
}

/** A route's access, read from its handler and its controller (the handler's own metadata wins). */
export function routeAccess(reflector: Reflector, targets: (object | ((...args: never[]) => unknown))[]): RouteAccess {
  const of = <T>(key: string) => reflector.getAllAndOverride<T | undefined>(key, targets as never);
  return { public: of<boolean>(PUBLIC_KEY) ?? false, role: of<Role>(ROLE_KEY) ?? 'viewer', streamTicket: of<boolean>(STREAM_TICKET_KEY) ?? false };
}

export type AuthenticatedRequest = FastifyRequest & { caller?: Caller };

/** The caller the AuthGuard found for this request. */
export const CurrentCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (!caller) throw new Error('CurrentCaller on a public route');
  return caller;
});
