import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { HeadersObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ERROR_BODY_REF } from './schemas';

export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 502 | 503;

const TITLES: Record<ErrorStatus, string> = {
  400: 'The request is not valid',
  401: 'No valid credentials',
  403: 'Not allowed',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflicts with the current state',
  413: 'The body is too large',
  415: 'The body is not in a type or encoding the API reads',
  429: 'Too many at once',
  502: "A vendor, or the playbook's worker, failed to answer",
  503: 'Temporarily unavailable',
};

const RETRY_AFTER: HeadersObject = { 'Retry-After': { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'integer' } } };

/** The headers an error status always carries (ErrorFilter sets Retry-After on every 503; a 429 says it too). */
export const ERROR_HEADERS: Partial<Record<ErrorStatus, HeadersObject>> = { 429: RETRY_AFTER, 503: RETRY_AFTER };

/** The description of an error response: what the status means and the `error` codes it carries. */
export function errorDescription(status: ErrorStatus, codes: readonly string[]): string {
  return `${TITLES[status]}. Codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`;
}

/** The codes an error response's description lists. */
export function errorCodes(description: string | undefined): string[] {
  const listed = description?.split('Codes: ')[1] ?? '';
  return [...listed.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

/**
 * Declares the errors a route answers, each with the shared body `{error, message, hint}` and
 * the codes it may carry. Authentication (401, 403 for the role) and body parsing (400, 413,
 * 415) are added to every route that has them when the document is built (openapi/document.ts).
 */
export function ApiErrors(errors: Partial<Record<ErrorStatus, readonly string[]>>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(errors).map(([key, codes]) => {
      const status = Number(key) as ErrorStatus;
      return ApiResponse({ status, description: errorDescription(status, codes), schema: { $ref: ERROR_BODY_REF }, headers: ERROR_HEADERS[status] });
    }),
  );
}
