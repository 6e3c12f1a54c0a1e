import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { faultSpecSchema, gamedayAccountSchema, gamedayCredentialSchema, gamedayHostSchema, gamedayResourceSchema } from '../../../../lib/gamedays/scenario';

export class AddHostsDto extends createZodDto(z.object({ hosts: z.array(gamedayHostSchema).min(1).max(1000) }).strict()) {}
export class AddCredentialDto extends createZodDto(gamedayCredentialSchema) {}
export class AddAccountDto extends createZodDto(gamedayAccountSchema) {}
export class AddResourceDto extends createZodDto(gamedayResourceSchema) {}
export class SetFaultDto extends createZodDto(faultSpecSchema) {}

export const clearFaultsQuerySchema = z.object({
  capability: faultSpecSchema.shape.capability.optional().describe('Only the faults of this capability.'),
  action: faultSpecSchema.shape.action.describe('Only the faults of this action.'),
  target: faultSpecSchema.shape.target.describe('Only the faults of this target.'),
});

export class ClearFaultsQueryDto extends createZodDto(clearFaultsQuerySchema) {}
