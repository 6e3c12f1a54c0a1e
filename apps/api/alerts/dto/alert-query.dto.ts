import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export const alertQuerySchema = z.object({
  format: z
    .enum(['palisade', 'ocsf'], { message: "expected 'palisade' or 'ocsf'" })
    .default('palisade')
    .describe('palisade: the normalized alert (default); ocsf: an OCSF 1.3 Detection Finding (class 2004).'),
});

export class AlertQueryDto extends createZodDto(alertQuerySchema) {}
