import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '../common/error.filter';
import { StreamTickets } from '../tokens/stream-tickets.service';
import { TokensService } from '../tokens/tokens.service';
import { routeAccess, type AuthenticatedRequest } from './auth.decorators';
import { hasRole, type Caller, type Role } from './roles';

const GET_A_TOKEN = 'An admin creates one with `palisade token create --name <you> --role <role>`; the first admin token comes from PALISADE_BOOTSTRAP_TOKEN (npm start writes one to its data folder).';

/**
 * Every API route needs a token (`Authorization: Bearer <token>`) unless it is @Public();
 * @RequireRole names the least role it needs; @AllowStreamTicket routes also take a stream
 * ticket. The caller is put on the request.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(StreamTickets) private readonly tickets: StreamTickets,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const access = routeAccess(this.reflector, [ctx.getHandler(), ctx.getClass()]);
    if (access.public) return true;
    const needed = access.role;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const caller = await this.caller(req, needed, access.streamTicket);
    if (!hasRole(caller.role, needed)) {
      throw new ApiError(
        HttpStatus.FORBIDDEN,
        'forbidden',
        `This needs the ${needed} role or higher; the token '${caller.name}' has ${caller.role}.`,
        `Ask an admin for a token with the ${needed} role.`,
      );
    }
    req.caller = caller;
    return true;
  }

  private async caller(req: AuthenticatedRequest, needed: Role, ticketAllowed: boolean): Promise<Caller> {
    const header = req.headers.authorization;
    const token = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    const ticket = (req.query as Record<string, unknown>).ticket;
    if (!token && ticketAllowed && req.method === 'GET' && typeof ticket === 'string' && ticket.length > 0) {
      return this.tickets.redeem(ticket, String((req.params as Record<string, unknown>).id));
    }
    if (!token) {
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthenticated', `This needs an API token with the ${needed} role or higher.`, `Send Authorization: Bearer <token>. ${GET_A_TOKEN}`);
    }
    const found = await this.tokens.authenticate(token);
    if (found && 'expired' in found) {
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'token_expired',
        `The API token '${found.expired.name}' expired at ${found.expired.at.toISOString()}.`,
        `Ask an admin for a new one (\`palisade token create --name ${found.expired.name} --role <role> [--expires-in 90d]\`). An expired PALISADE_BOOTSTRAP_TOKEN is never seeded again: set a new value and restart (README "Tokens and roles").`,
      );
    }
    if (!found) {
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'token_invalid', 'The API token is not known, or it was revoked.', `Check PALISADE_TOKEN (or the token you signed in with). ${GET_A_TOKEN}`);
    }
    return found.caller;
  }
}
