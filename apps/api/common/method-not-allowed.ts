import { HttpStatus } from '@nestjs/common';
import type { RequestHandler } from 'express';
import type { ErrorBody } from '../../../lib/errors';
import { routeMatches, type ApiRoute } from './routes';

/**
 * 405 with `Allow` for a method the path does not have, ahead of routing. The most literal
 * routes decide, as the document lists them: /tokens/claim has POST only, so DELETE
 * /tokens/claim is 405 rather than a revocation of a token called "claim".
 */
export function methodNotAllowed(routes: readonly ApiRoute[]): RequestHandler {
  return (req, res, next) => {
    const matching = routes.filter((r) => routeMatches(r.path, req.path));
    if (matching.length === 0) return next();
    const params = (r: ApiRoute) => (r.path.match(/:/g) ?? []).length;
    const fewest = Math.min(...matching.map(params));
    const methods = new Set(matching.filter((r) => params(r) === fewest).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    if (methods.has(req.method)) return next();
    const allowed = [...methods];
    res
      .status(HttpStatus.METHOD_NOT_ALLOWED)
      .setHeader('Allow', allowed.join(', '))
      .json({ error: 'method_not_allowed', message: `${req.method} is not allowed on ${req.path}.`, hint: `Use ${allowed.join(' or ')}; the API reference is at /docs.` } satisfies ErrorBody);
  };
}
