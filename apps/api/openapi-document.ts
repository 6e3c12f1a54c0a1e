import type { INestApplication } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { ContentObject, ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { routeAccess } from './auth/auth.decorators';
import { addErrors, operations } from './common/openapi/document-edits';
import { componentRef, zodComponents } from './common/openapi/api-decorators';
import { ERROR_BODY_REF, errorBodySchema } from './common/openapi/schemas';
import { apiRoutes, openApiPath } from './common/routes';
import type { Catalogue } from '../../lib/playbooks/catalogue';
import { CATALOGUE } from './config/config.module';
import { describeManualRuns } from './playbooks/playbook-runs.openapi';
import { describeWebhookSources, WEBHOOK_SECURITY_SCHEMES } from './webhooks/webhooks.openapi';

/** Routes under this prefix get their body raw (webhooks are verified on their exact bytes); others as JSON. */
export const RAW_BODY_PREFIX = '/webhooks';

/**
 * The OpenAPI document served at /docs-json: built by @nestjs/swagger from the controllers'
 * decorators, with the zod schemas the validation pipe uses (nestjs-zod), then completed from
 * the same metadata the app runs on: who may call each route (the AuthGuard's metadata), what
 * the body parsers refuse, each webhook source's own authentication and each playbook's params.
 */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Palisade API')
    .setDescription(
      'Incidents, their timelines and their playbooks. Every error answers `{"error", "message", "hint"}` (the ErrorBody schema); ' +
        'each response lists the `error` codes it carries. No string may hold a NUL character (U+0000): 400 invalid_request. API routes take `Authorization: Bearer <API token>`; webhooks prove their sender with the source\'s own secret or signature.',
    )
    .setOpenAPIVersion('3.1.0')
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API token (`palisade token create`; the first one is PALISADE_BOOTSTRAP_TOKEN).' }, 'bearer')
    .addSecurity('streamTicket', {
      type: 'apiKey',
      in: 'query',
      name: 'ticket',
      description: 'A stream ticket from POST /incidents/{id}/timeline/stream-tickets: one stream, this incident, within 30 seconds.',
    });
  for (const [name, scheme] of Object.entries(WEBHOOK_SECURITY_SCHEMES)) builder.addSecurity(name, scheme);
  const document = cleanupOpenApiDoc(SwaggerModule.createDocument(app, builder.build()));
  componentRef(errorBodySchema);
  describeAccess(document, app);
  describeBodyParsing(document);
  describeMediaTypes(document);
  describeWebhookSources(document);
  describeManualRuns(document, app.get<Catalogue>(CATALOGUE));
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...zodComponents() } };
  return document;
}

/** Security and 401/403 from the metadata the AuthGuard reads: a route's document cannot disagree with its guard. */
function describeAccess(document: OpenAPIObject, app: INestApplication): void {
  const reflector = app.get(Reflector);
  for (const route of apiRoutes(app.get(ModulesContainer))) {
    const op = document.paths[openApiPath(route.path)]?.[route.method.toLowerCase() as 'get'];
    if (!op) continue;
    const access = routeAccess(reflector, [route.handler, route.controller]);
    if (access.public) {
      op.security ??= [];
      continue;
    }
    op.security = [{ bearer: [] }, ...(access.streamTicket ? [{ streamTicket: [] }] : [])];
    addErrors(op, 401, ['unauthenticated', 'token_invalid', 'token_expired', ...(access.streamTicket ? ['ticket_invalid'] : [])]);
    if (access.role !== 'viewer') addErrors(op, 403, ['forbidden']);
  }
}

/** What the body parsers refuse before any route runs (app.ts): JSON everywhere, raw bytes for webhooks. */
function describeBodyParsing(document: OpenAPIObject): void {
  for (const { path, op } of operations(document)) {
    if (!op.requestBody) continue;
    if (!path.startsWith(`${RAW_BODY_PREFIX}/`)) addErrors(op, 400, ['invalid_request', 'bad_request']);
    addErrors(op, 413, ['payload_too_large']);
    addErrors(op, 415, path.startsWith(`${RAW_BODY_PREFIX}/`) ? ['unsupported_content_encoding'] : ['unsupported_charset', 'unsupported_content_encoding']);
  }
}

/**
 * Errors are always JSON. An answer in JSON or text (timeline: ndjson; postmortem: Markdown,
 * HTML) has its schema for the JSON and a string for the text; a text-only answer (events,
 * metrics) keeps the schema its route declares.
 */
function describeMediaTypes(document: OpenAPIObject): void {
  const isJson = (type: string) => type === 'application/json' || type.endsWith('+json');
  for (const { op } of operations(document)) {
    for (const [status, response] of Object.entries(op.responses) as [string, ResponseObject][]) {
      if (!response.content) continue;
      const hasJson = Object.keys(response.content).some(isJson);
      const content: ContentObject = {};
      for (const [type, media] of Object.entries(response.content)) {
        if (Number(status) >= 400 && !isJson(type)) continue;
        content[type] = isJson(type) || !hasJson ? media : { schema: { type: 'string' } };
      }
      // A route that produces only text still answers its errors as JSON.
      if (Number(status) >= 400 && Object.keys(content).length === 0) content['application/json'] = { schema: { $ref: ERROR_BODY_REF } };
      response.content = content;
    }
  }
}
