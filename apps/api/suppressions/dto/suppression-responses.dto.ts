import { z } from 'zod';
import { timeSchema, uuidSchema } from '../../common/openapi/schemas';

/** A window's id: a UUID for windows opened through the API, `file:<n>` for runbooks/suppressions.yaml's. */
export const suppressionIdSchema = z.union([uuidSchema, z.string().max(11).regex(/^file:[1-9][0-9]{0,5}$/)]);

export const suppressionSchema = z
  .object({
    id: suppressionIdSchema,
    entityPattern: z.string(),
    startsAt: timeSchema,
    endsAt: timeSchema,
    reason: z.string(),
    createdBy: z.string(),
    origin: z.enum(['api', 'file']),
  })
  .meta({ id: 'Suppression' });

export const suppressionListSchema = z.array(suppressionSchema).meta({ id: 'SuppressionList' });

export const suppressionClosedSchema = z.object({ id: uuidSchema, deleted: z.literal(true) }).meta({ id: 'SuppressionClosed' });
