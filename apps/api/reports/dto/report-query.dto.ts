import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { instant } from '../../../../lib/instant';
import { REPORT_GROUPINGS } from '../../../../lib/reports/response-times';

/** The period a report covers: incidents detected at or after `since` and before `until`. */
const period = {
  since: instant('2026-11-01T00:00:00Z').optional().describe('Incidents detected at or after (default: 30 days before until).'),
  until: instant('2026-12-01T00:00:00Z').optional().describe('Incidents detected before (default: now).'),
  playbook: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a playbook name, e.g. host-compromise')
    .optional()
    .describe("Only this playbook's incidents."),
};

export const responseTimesQuerySchema = z.object({
  ...period,
  by: z.enum(REPORT_GROUPINGS, { message: `expected one of ${REPORT_GROUPINGS.join(', ')}` }).optional().describe('Group by playbook, severity, source, day or week (UTC); none: one group, `all`.'),
});
export class ResponseTimesQueryDto extends createZodDto(responseTimesQuerySchema) {}

export const falsePositivesQuerySchema = z.object(period);
export class FalsePositivesQueryDto extends createZodDto(falsePositivesQuerySchema) {}
