import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { SEVERITIES } from '../../../../lib/domain/incident';
import { writtenText } from '../../common/text';

export const startRunSchema = z.object({
  params: z
    .record(z.string(), z.unknown())
    .default({})
    .describe("The playbook's parameters: GET /playbooks shows each playbook's schema."),
  severity: z.enum(SEVERITIES).default('high').describe('How bad it is.'),
  title: writtenText(300).optional().describe("The incident's title; default: the playbook's own, from the params."),
});

export class StartRunDto extends createZodDto(startRunSchema) {}
