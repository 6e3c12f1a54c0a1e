import { z } from 'zod';
import { errorBodySchema } from '../../common/openapi/schemas';

const checkSchema = z.object({ ok: z.boolean(), detail: z.string() });
const readinessFields = {
  checks: z.object({ postgres: checkSchema, temporal: checkSchema, worker: checkSchema, inbox: checkSchema.describe('Whether the playbooks keep up with the door: past PALISADE_READY_INBOX_MAX_PENDING or PALISADE_READY_INBOX_MAX_AGE, not ok (the status is then `degraded`).') }),
  inbox: z
    .object({ pending: z.number().int(), oldestAgeSeconds: z.number(), deadLetters: z.number().int() })
    .nullable()
    .describe('Alerts stored and not yet handed to Temporal (informational: the door stays open); null when Postgres does not answer.'),
  stuck: z
    .object({
      count: z.number().int(),
      incidents: z.array(z.object({ id: z.string(), since: z.string(), reason: z.string().nullable() })).describe('The first ten, longest stuck first.'),
    })
    .nullable()
    .describe('Open incidents whose run is stuck: a workflow task that keeps failing (informational); null when Postgres does not answer.'),
};

export const liveSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Live' });
export const readySchema = z.object({ status: z.enum(['ready', 'degraded']), ...readinessFields }).meta({ id: 'Ready' });
export const notReadySchema = errorBodySchema.extend({ error: z.literal('not_ready'), ...readinessFields }).meta({ id: 'NotReady' });
