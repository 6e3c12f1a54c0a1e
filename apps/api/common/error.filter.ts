import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ZodValidationException } from 'nestjs-zod';
import type { ZodError } from 'zod';
import { PalisadeError, type ErrorBody } from '../../../lib/errors';

/** An HTTP error carrying Palisade's error body. Services throw this; the filter renders it. */
export class ApiError extends HttpException {
  constructor(status: HttpStatus, code: string, message: string, hint: string) {
    super({ error: code, message, hint } satisfies ErrorBody, status);
  }
}

/** Renders every error as `{"error", "message", "hint"}`, whatever threw it. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.toBody(exception);
    if (status >= 500) this.log.error(exception instanceof Error ? exception.stack : String(exception));
    res.status(status).json(body);
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

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && 'error' in value && 'message' in value && 'hint' in value;
}

function fromStatus(status: number, message: string): ErrorBody {
  if (status === 404) {
    return { error: 'not_found', message, hint: 'Check the URL; the API reference is at /docs.' };
  }
  if (status === 413) {
    return { error: 'payload_too_large', message, hint: 'Send a smaller body.' };
  }
  if (status === 400) {
    return { error: 'bad_request', message, hint: 'Send valid JSON with Content-Type: application/json.' };
  }
  return { error: `http_${status}`, message, hint: 'See the API reference at /docs.' };
}
