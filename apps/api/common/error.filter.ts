import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ZodValidationException } from 'nestjs-zod';
import type { ZodError } from 'zod';
import { PalisadeError, type ErrorBody } from '../../../lib/errors';

/** An HTTP error carrying Palisade's error body. Services throw this; the filter renders it. */
export class ApiError extends HttpException {
  constructor(status: HttpStatus, code: string, message: string, hint: string) {
    super({ error: code, message, hint } satisfies ErrorBody, status);
  }
}

const INCIDENT_NOT_FOUND_HINTS = {
  list: 'GET /incidents lists them.',
  'just-created': 'Check the id. A just-created incident appears within a second or two, once the worker has recorded it.',
  postmortem: "GET /incidents lists them; a postmortem has its incident's id.",
} as const;

/**
 * 404 `incident_not_found`: no incident has this id. The hint: `list` for an action on an incident,
 * `just-created` for a read (an incident reported a moment ago may not be recorded yet),
 * `postmortem` for its postmortem.
 */
export function incidentNotFound(id: string, hint: keyof typeof INCIDENT_NOT_FOUND_HINTS = 'list'): ApiError {
  return new ApiError(HttpStatus.NOT_FOUND, 'incident_not_found', `No incident ${id}.`, INCIDENT_NOT_FOUND_HINTS[hint]);
}

/**
 * An incident the request's body names (not its path) does not exist: 400, the request's own
 * mistake. Not 404: the target resource is there, and the contract drill read a 404 as the
 * incident it had just created being missing; not 422, which schemathesis (and most clients)
 * read as a schema error.
 */
export function namedIncidentNotFound(id: string, field: string): ApiError {
  return new ApiError(HttpStatus.BAD_REQUEST, 'named_incident_not_found', `No incident ${id} (named in ${field}).`, `GET /incidents lists them; check ${field}.`);
}

/** Renders every error as `{"error", "message", "hint"}`, whatever threw it. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = this.toBody(exception);
    if (status >= 500 && status !== 503) this.log.error(exception instanceof Error ? exception.stack : String(exception));
    // A 503 is temporary: tell well-behaved senders when to come back.
    if (status === 503) void res.header('Retry-After', '5');
    void res.status(status).send(body);
  }

  private toBody(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof ZodValidationException) {
      const zodError = exception.getZodError() as ZodError;
      const problems = zodError.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      return {
        status: HttpStatus.BAD_REQUEST,
        body: {
          error: 'invalid_request',
          message: `The request is not valid: ${problems}.`,
          hint: 'Correct the fields named above; the API reference at /docs shows every field.',
        },
      };
    }
    if (exception instanceof PalisadeError) {
      return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: exception.toBody() };
    }
    const client = clientHttpError(exception);
    if (client) {
      // Errors from the body parsers (body-parser: too large, bad encoding) and Fastify's own carry their own status.
      return { status: client.status, body: fromStatus(client.status, client.message, client.type) };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (isErrorBody(response)) return { status, body: response };
      return { status, body: fromStatus(status, exception.message) };
    }
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: {
        error: 'internal_error',
        message: 'Palisade hit an unexpected error while handling this request.',
        hint: 'Retry; if it keeps failing, the API log has the details.',
      },
    };
  }
}

/** An error from the body parsers or Fastify with a 4xx status: http-errors (body-parser) say `status`, Fastify's own (a bad URL, a bad Content-Length) `statusCode`. */
function clientHttpError(value: unknown): { status: number; message: string; type?: string } | undefined {
  if (!(value instanceof Error) || value instanceof HttpException) return undefined;
  const { status, statusCode, type } = value as { status?: unknown; statusCode?: unknown; type?: unknown };
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code !== 'number' || code < 400 || code >= 500) return undefined;
  return { status: code, message: value.message, type: typeof type === 'string' ? type : undefined };
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && 'error' in value && 'message' in value && 'hint' in value;
}

function fromStatus(status: number, message: string, type?: string): ErrorBody {
  // body-parser's own refusals, before any handler runs.
  if (type === 'encoding.unsupported') {
    return {
      error: 'unsupported_content_encoding',
      message: `${message}.`,
      hint: 'Send the body uncompressed, or with Content-Encoding gzip, deflate or br.',
    };
  }
  if (type === 'charset.unsupported') {
    return { error: 'unsupported_charset', message: `${message}.`, hint: 'Send UTF-8 JSON: Content-Type: application/json; charset=utf-8.' };
  }
  if (status === 404) {
    return { error: 'not_found', message, hint: 'Check the URL; the API reference is at /docs.' };
  }
  if (status === 413) {
    return {
      error: 'payload_too_large',
      message: 'The body is larger than this server accepts.',
      hint: 'Send smaller batches, or raise PALISADE_WEBHOOK_MAX_BYTES on the server.',
    };
  }
  if (status === 400) {
    return { error: 'bad_request', message, hint: 'Send valid JSON with Content-Type: application/json.' };
  }
  return { error: `http_${status}`, message, hint: 'See the API reference at /docs.' };
}
