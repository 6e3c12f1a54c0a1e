import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { faultSpecSchema, gamedayAccountSchema, gamedayCredentialSchema, gamedayHostSchema, gamedayResourceSchema } from '../../../../lib/gamedays/scenario';

export class AddHostsDto extends createZodDto(z.object({ hosts: z.array(gamedayHostSchema).min(1).max(1000) }).strict()) {}
export class AddCredentialDto extends createZodDto(gamedayCredentialSchema) {}
export class AddAccountDto extends createZodDto(gamedayAccountSchema) {}
export class AddResourceDto extends createZodDto(gamedayResourceSchema) {}
export class SetFaultDto extends createZodDto(faultSpecSchema) {}
