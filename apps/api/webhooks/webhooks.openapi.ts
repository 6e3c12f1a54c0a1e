import type { OpenAPIObject } from '@nestjs/swagger';
import type { OperationObject, SecurityRequirementObject, SecuritySchemeObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { webhookSecretVariable } from '../../../lib/config/env';
import { SOURCES, type SourceName } from '../../../lib/intake/alert';
import type { AuthScheme } from '../../../lib/intake/source';
import { SOURCE_ADAPTERS } from '../../../lib/intake/sources';
import { GENERIC_BATCH_LIMIT, genericAlertSchema } from '../../../lib/intake/sources/generic';
import { componentRef } from '../common/openapi/api-decorators';
import { addErrors, expandPathParam } from '../common/openapi/document-edits';
import { openApiSchema } from '../common/openapi/schemas';
import { webhookControlSchema } from './dto/webhook-responses.dto';

/** How senders prove themselves (auth/verify.ts), as OpenAPI security schemes. */
export const WEBHOOK_SECURITY_SCHEMES: Record<string, SecuritySchemeObject> = {
  webhookToken: { type: 'apiKey', in: 'header', name: 'X-Palisade-Token', description: "The source's secret, PALISADE_WEBHOOK_SECRET_<SOURCE>." },
  webhookBearer: { type: 'http', scheme: 'bearer', description: "The source's secret as a bearer token." },
  webhookBasic: { type: 'http', scheme: 'basic', description: "The source's secret as the password (any user name)." },
  webhookQueryToken: { type: 'apiKey', in: 'query', name: 'token', description: "The source's secret in the URL, for senders that cannot set headers." },
  githubSignature: { type: 'apiKey', in: 'header', name: 'X-Hub-Signature-256', description: 'GitHub: sha256=<hex HMAC-SHA256 of the raw body with the webhook secret>.' },
  palisadeSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Palisade-Signature',
    description: 'v1=<hex HMAC-SHA256(secret, "<X-Palisade-Timestamp>.<raw body>")>, two during a rotation; the timestamp within 5 minutes, each signed request once.',
  },
};

const TOKEN: SecurityRequirementObject[] = [{ webhookToken: [] }, { webhookBearer: [] }, { webhookBasic: [] }];

/** Each source's security, 401 codes and extras, from the auth scheme its adapter declares. */
function byScheme(scheme: AuthScheme): { security: SecurityRequirementObject[]; unauthorized: string[]; note: string } {
  switch (scheme.kind) {
    case 'token':
      return {
        security: scheme.allowQueryToken ? [...TOKEN, { webhookQueryToken: [] }] : TOKEN,
        unauthorized: ['missing_token', 'invalid_token'],
        note: `The source's secret as X-Palisade-Token, a bearer token or a basic-auth password${scheme.allowQueryToken ? ', or ?token=' : ''}.`,
      };
    case 'aws':
      return {
        // {}: an Amazon SNS message carries its proof in its own signed fields, not in a header.
        security: [...TOKEN, {}],
        unauthorized: ['missing_token', 'invalid_token', 'invalid_sns_envelope', 'invalid_sns_signature', 'stale_signature'],
        note: 'An Amazon SNS message as SNS posts it (verified by its signature; topics in PALISADE_SNS_TOPIC_ARNS), or an EventBridge API destination sending the secret as a token.',
      };
    case 'github-hmac':
      return { security: [{ githubSignature: [] }], unauthorized: ['missing_signature', 'invalid_signature'], note: 'Signed by GitHub with the webhook secret (X-Hub-Signature-256).' };
    case 'palisade-hmac':
      return {
        security: [{ palisadeSignature: [] }],
        unauthorized: ['missing_signature', 'stale_signature', 'malformed_signature', 'invalid_signature', 'replayed_request'],
        note: 'Signed with X-Palisade-Timestamp and X-Palisade-Signature.',
      };
  }
}

/** What each source posts: Palisade's own shape for generic; the vendor's own JSON for the others. */
function bodyOf(source: SourceName): OperationObject['requestBody'] {
  if (source === 'generic') {
    const schema = z.union([genericAlertSchema, z.array(genericAlertSchema).min(1).max(GENERIC_BATCH_LIMIT)]);
    return { required: true, content: { 'application/json': { schema: openApiSchema(schema) } } };
  }
  const vendor = { description: `The ${source} payload as the vendor sends it (README "Alert sources").` };
  const content: Record<string, { schema: object }> = { 'application/json': { schema: vendor } };
  // Amazon SNS posts its JSON envelope as text/plain.
  if (SOURCE_ADAPTERS[source].auth.kind === 'aws') content['text/plain'] = { schema: { type: 'string', contentMediaType: 'application/json', ...vendor } };
  return { required: true, content };
}

/**
 * `/webhooks/{source}` becomes one path per source, each with its own authentication, body
 * and answers, since they differ by source (one route serves them all).
 */
export function describeWebhookSources(document: OpenAPIObject): void {
  expandPathParam(
    document,
    '/webhooks/{source}',
    'post',
    'source',
    SOURCES.map((source) => ({
      value: source,
      refine: (op) => {
        const adapter = SOURCE_ADAPTERS[source];
        const { security, unauthorized, note } = byScheme(adapter.auth);
        op.summary = `Receive ${source === 'generic' ? 'an alert in Palisade\'s own shape' : `a ${source} alert`}.`;
        op.description = `${op.description ?? ''}\n\n${note} The secret is ${webhookSecretVariable(source)}. ${adapter.setupHint}`;
        op.security = security;
        op.requestBody = bodyOf(source);
        addErrors(op, 401, ['source_not_configured', ...unauthorized]);
        if (adapter.auth.kind === 'palisade-hmac') {
          op.parameters = [
            ...(op.parameters ?? []),
            { name: 'X-Palisade-Timestamp', in: 'header', required: true, description: 'Unix seconds when the request was signed.', schema: { type: 'string', pattern: '^[0-9]+$' } },
            { name: 'X-Palisade-Delivery', in: 'header', required: false, description: 'Your id for this delivery: a re-send with the same id is a duplicate.', schema: { type: 'string' } },
          ];
        }
        // Control messages: GitHub's ping, Amazon SNS subscription and topic notices.
        if (source === 'github' || adapter.auth.kind === 'aws') {
          op.responses[200] = { description: 'A control message, answered and not stored.', content: { 'application/json': { schema: componentRef(webhookControlSchema) } } };
        }
        if (adapter.auth.kind === 'aws') {
          addErrors(op, 502, ['sns_confirmation_failed']);
          addErrors(op, 503, ['sns_certificate_unavailable']);
        }
      },
    })),
  );
}
