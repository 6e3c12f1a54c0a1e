import { z } from 'zod';
import { timeSchema, uuidSchema } from '../../common/openapi/schemas';

export const gamedayStartedSchema = z.object({ id: uuidSchema, scenario: z.string(), status: z.literal('running') }).meta({ id: 'GamedayStarted' });

export const gamedaySchema = z
  .object({
    id: uuidSchema,
    scenario: z.string(),
    status: z.enum(['running', 'passed', 'failed', 'error']).describe('failed: an SLO failed; error: the game day itself could not run.'),
    requestedBy: z.string(),
    startedAt: timeSchema,
    finishedAt: timeSchema.nullable(),
    events: z.array(z.object({ atMs: z.number(), kind: z.string(), message: z.string() })).describe('Its progress, once finished.'),
    scorecard: z.record(z.string(), z.unknown()).nullable().describe('Each SLO against its target, once finished.'),
    error: z.string().nullable(),
  })
  .meta({ id: 'Gameday' });
