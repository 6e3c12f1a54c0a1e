import { HttpStatus } from '@nestjs/common';
import type { onRequestAsyncHookHandler } from 'fastify';
import type { ErrorBody } from '../../../lib/errors';
import { pathOf } from './body-parsers';
import { pathSegments, routeMatcher, type ApiRoute } from './routes';

/**
 * 405 with `Allow` for a method the path does not have, ahead of routing (a Fastify onRequest
 * hook, which runs for unrouted requests too). The most literal routes decide, as the document
 * lists them: /tokens/claim has POST only, so DELETE /tokens/claim is 405 rather than a
 * revocation of a token called "claim".
 */
export function methodNotAllowed(routes: readonly ApiRoute[]): onRequestAsyncHookHandler {
  // Each route's path split and its parameters counted once, not on every request (the door's profile, issue 22).
  const compiled = routes.map((r) => ({ method: r.method, matches: routeMatcher(r.path), params: (r.path.match(/:/g) ?? []).length }));
  return async (request, reply) => {
    const path = pathOf(request.url);
    const got = pathSegments(path);
    const matching = compiled.filter((r) => r.matches(got));
    if (matching.length === 0) return;
    const fewest = Math.min(...matching.map((r) => r.params));
    const methods = new Set(matching.filter((r) => r.params === fewest).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    if (methods.has(request.method)) return;
    const allowed = [...methods];
    // Answered here: returning the reply tells Fastify routing stops.
    return reply
      .status(HttpStatus.METHOD_NOT_ALLOWED)
      .header('Allow', allowed.join(', '))
      .send({ error: 'method_not_allowed', message: `${request.method} is not allowed on ${path}.`, hint: `Use ${allowed.join(' or ')}; the API reference is at /docs.` } satisfies ErrorBody);
  };
}
