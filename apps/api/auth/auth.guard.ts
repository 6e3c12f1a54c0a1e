import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '../common/error.filter';
import { TokensService } from '../tokens/tokens.service';
import { PUBLIC_KEY, QUERY_TOKEN_KEY, ROLE_KEY, type AuthenticatedRequest } from './auth.decorators';
import { hasRole, type Role } from './roles';

const GET_A_TOKEN = 'An admin creates one with `palisade token create --name <you> --role <role>`; the first admin token comes from PALISADE_BOOTSTRAP_TOKEN (npm start writes one to its data folder).';

/**
 * Every API route needs a token (`Authorization: Bearer <token>`) unless it is @Public();
 * @RequireRole names the least role it needs. The caller is put on the request.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokensService) private readonly tokens: TokensService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const needed = this.reflector.getAllAndOverride<Role | undefined>(ROLE_KEY, targets) ?? 'viewer';
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();

    const token = presentedToken(req, this.reflector.getAllAndOverride<boolean>(QUERY_TOKEN_KEY, targets) ?? false);
    if (!token) {
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthenticated', `This needs an API token with the ${needed} role or higher.`, `Send Authorization: Bearer <token>. ${GET_A_TOKEN}`);
    }
    const caller = await this.tokens.authenticate(token);
    if (!caller) {
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'token_invalid', 'The API token is not known, or it was revoked.', `Check PALISADE_TOKEN (or the token you signed in with). ${GET_A_TOKEN}`);
    }
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
}

/** The bearer token; on routes marked @AllowQueryToken() (GET only) also `?access_token=`. */
function presentedToken(req: AuthenticatedRequest, queryAllowed: boolean): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (m) return m[1];
  const query = queryAllowed && req.method === 'GET' ? (req.query as Record<string, unknown>).access_token : undefined;
  return typeof query === 'string' && query.length > 0 ? query : undefined;
}
