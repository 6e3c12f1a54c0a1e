import { Controller, Get, HttpStatus, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Public } from '../auth/auth.decorators';
import { ApiError } from '../common/error.filter';

/** Where the page's files live (copied beside the compiled controller by the Dockerfile). */
const PUBLIC_DIR = path.join(__dirname, 'public');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Scripts and everything else from this origin only (no inline script, no CDN). Styles may be
 * inline because the postmortem's stand-alone HTML (inline CSS) is shown in a sandboxed srcdoc
 * frame, which inherits this policy; the sandbox lets no script run there.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface StaticFile {
  body: Buffer;
  type: string;
}

/** The page's files, read once at start: index.html, and its scripts (ES modules) and styles under /ui/. */
function load(name: string): StaticFile {
  return { body: readFileSync(path.join(PUBLIC_DIR, name)), type: TYPES[path.extname(name)] ?? 'application/octet-stream' };
}

const INDEX = load('index.html');
const ASSETS = new Map(
  readdirSync(PUBLIC_DIR)
    .filter((name) => name.endsWith('.js') || name.endsWith('.css'))
    .map((name) => [name, load(name)]),
);

function send(res: FastifyReply, file: StaticFile): void {
  void res
    .status(HttpStatus.OK)
    .headers({
      'Content-Type': file.type,
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      // The live timeline's URL carries the token: never send it elsewhere.
      'Referrer-Policy': 'no-referrer',
    })
    .send(file.body);
}

/** The responders' web page. It holds no data: every call it makes carries the user's token. */
@ApiExcludeController()
@Public()
@Controller()
export class WebController {
  @Get()
  index(@Res() res: FastifyReply): void {
    send(res, INDEX);
  }

  @Get('ui/:file')
  asset(@Param('file') file: string, @Res() res: FastifyReply): void {
    const asset = ASSETS.get(file);
    if (!asset) throw new ApiError(HttpStatus.NOT_FOUND, 'not_found', `The web page has no file '${file}'.`, 'Open / for the page.');
    send(res, asset);
  }
}
