import bodyParser from 'body-parser';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface BodyParsing {
  /** Paths under this prefix get their exact bytes (a Buffer), whatever the content type. */
  rawPrefix: string;
  rawLimit: number;
  /** Everything else: JSON (application/json), up to this size. */
  jsonLimit: string | number;
  /** Paths whose body nobody reads here (Bolt reads and verifies Slack's own). */
  untouched: readonly string[];
}

type Parser = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * The API's bodies, read by body-parser (the expressjs project's parser, on the Node request
 * Fastify wraps): it inflates gzip, deflate and br, refuses another Content-Encoding (415), a
 * charset other than UTF-8 in JSON (415) and a body past its limit, counted after inflating
 * (413), and its errors carry the status and `type` the error filter turns into Palisade's
 * error body. Fastify's own parsers are removed: one parser decides by path, as the routes'
 * parsers did on Express.
 */
export function readBodies(fastify: FastifyInstance, o: BodyParsing): void {
  const raw: Parser = bodyParser.raw({ type: () => true, limit: o.rawLimit });
  const json: Parser = bodyParser.json({ limit: o.jsonLimit });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    // Matched as the router matches: letter case and a trailing slash do not matter.
    const path = pathOf(request.url).toLowerCase().replace(/\/+$/, '');
    if (o.untouched.includes(path)) {
      done(null, undefined);
      return;
    }
    const parse = path === o.rawPrefix || path.startsWith(`${o.rawPrefix}/`) ? raw : json;
    const req = request.raw as IncomingMessage & { body?: unknown };
    // body-parser reads the request only; the response is not touched.
    parse(req, undefined as unknown as ServerResponse, (err?: unknown) => (err ? done(err as Error) : done(null, req.body)));
  });
}

/** The path of a request URL, without its query (Express's `req.path`). */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
