import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export const startGamedaySchema = z
  .object({
    scenario: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'a scenario name under runbooks/gamedays/, e.g. host-compromise')
      .describe('The scenario: runbooks/gamedays/<scenario>.yaml.'),
  })
  .strict();

export class StartGamedayDto extends createZodDto(startGamedaySchema) {}
