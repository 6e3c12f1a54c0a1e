import { z } from 'zod';
import type { Disposition } from '../alert-store';
import { enumOf, uuidSchema } from '../../common/openapi/schemas';

const dispositionSchema = enumOf<Disposition>()(['started', 'merged', 'suppressed', 'duplicate']).describe(
  'started: it opened an incident; merged: it joined an open one; suppressed: a window or rule set it aside; duplicate: this delivery was stored before.',
);

/** 202: one finding, or a body with several (intake.service.ts IntakeAnswer). */
export const webhookAcceptedSchema = z
  .union([
    z.object({ alertIds: z.array(uuidSchema), incidentId: uuidSchema.nullable(), disposition: dispositionSchema }),
    z.object({
      alertIds: z.array(uuidSchema),
      alerts: z.array(z.object({ alertId: uuidSchema, incidentId: uuidSchema.nullable(), disposition: dispositionSchema })),
    }),
  ])
  .meta({ id: 'WebhookAccepted' });

/** 200: a control message (GitHub's ping, Amazon SNS subscription notices), answered and not stored. */
export const webhookControlSchema = z.object({ status: z.literal('ok'), message: z.string() }).meta({ id: 'WebhookControl' });
