import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { ROLES } from '../../auth/roles';

export const createTokenSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe('Who uses it: for approvers, their id in runbooks/people.yaml (or email), which is who their votes are counted as.'),
  role: z.enum(ROLES).describe('viewer < responder < approver < admin; each includes the ones before it.'),
});

export class CreateTokenDto extends createZodDto(createTokenSchema) {}
