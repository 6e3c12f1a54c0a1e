import type { OpenAPIObject } from '@nestjs/swagger';
import type { OperationObject, ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ERROR_HEADERS, errorCodes, errorDescription, type ErrorStatus } from './api-errors';
import { ERROR_BODY_REF } from './schemas';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Every operation of the document with its path and method. */
export function* operations(document: OpenAPIObject): Generator<{ path: string; method: HttpMethod; op: OperationObject }> {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const op = item[method];
      if (op) yield { path, method, op };
    }
  }
}

/** Adds error codes to an operation's response for `status` (created with the shared error body if absent). */
export function addErrors(op: OperationObject, status: ErrorStatus, codes: readonly string[]): void {
  const existing = op.responses[status] as ResponseObject | undefined;
  const merged = [...new Set([...errorCodes(existing?.description), ...codes])];
  op.responses[status] = {
    description: errorDescription(status, merged),
    ...(ERROR_HEADERS[status] ? { headers: ERROR_HEADERS[status] } : {}),
    content: { 'application/json': { schema: { $ref: ERROR_BODY_REF } } },
  };
}

/**
 * Replaces an operation on a templated path (`/webhooks/{source}`) by one operation per value
 * of its parameter (`/webhooks/github`, ...), each refined with what is true of that value
 * only: its own body schema, security, responses.
 */
export function expandPathParam(
  document: OpenAPIObject,
  template: string,
  method: HttpMethod,
  param: string,
  variants: { value: string; refine: (op: OperationObject) => void }[],
): void {
  const item = document.paths[template];
  const op = item?.[method];
  if (!item || !op) throw new Error(`The OpenAPI document has no ${method.toUpperCase()} ${template} to expand.`);
  delete item[method];
  if (!['get', 'post', 'put', 'patch', 'delete'].some((m) => m in item)) delete document.paths[template];
  for (const { value, refine } of variants) {
    const copy = structuredClone(op);
    copy.operationId = `${op.operationId}_${value.replace(/[^A-Za-z0-9]+/g, '_')}`;
    copy.parameters = (copy.parameters ?? []).filter((p) => !('name' in p) || p.name !== param || p.in !== 'path');
    refine(copy);
    const path = template.replace(`{${param}}`, value);
    document.paths[path] = { ...document.paths[path], [method]: copy };
  }
}
