import { z } from 'zod';
import { CLASSIFICATIONS } from '../../../../lib/domain/classification';
import { SLA_MEASURES } from '../../../../lib/sla/policy';
import { timeSchema } from '../../common/openapi/schemas';

const stats = z
  .object({
    count: z.number().int().describe('Incidents that reached this milestone.'),
    meanMs: z.number().nullable(),
    medianMs: z.number().nullable(),
    p90Ms: z.number().nullable(),
  })
  .meta({ id: 'DurationStats' });

const periodSchema = z.object({ since: timeSchema, until: timeSchema });

export const responseTimesSchema = z
  .object({
    period: periodSchema,
    by: z.string().nullable(),
    incidents: z.number().int().describe('Incidents detected in the period.'),
    groups: z.array(
      z.object({
        key: z.string().describe('The playbook, severity, source or day/week (YYYY-MM-DD, a week by its Monday); `all` without ?by.'),
        incidents: z.number().int(),
        mttd: stats.describe('Time to detect: first alert observed → Palisade opened the incident.'),
        mtta: stats.describe('Time to acknowledge, from the first alert.'),
        mttc: stats.describe('Time to contain, from the first alert.'),
        mttr: stats.describe('Time to resolve, from the first alert (cancelled incidents are not resolved).'),
      }),
    ),
    sla: z
      .array(
        z.object({
          rule: z.string().describe('The policy entry: a severity, or playbook/severity.'),
          measure: z.enum(SLA_MEASURES),
          target: z.string(),
          met: z.number().int(),
          missed: z.number().int().describe('Reached late, or not reached and past due.'),
          pending: z.number().int().describe('Open, not reached, not yet due.'),
        }),
      )
      .describe('Each target of the SLA policy (runbooks/sla.yaml) met or missed by these incidents.'),
  })
  .meta({ id: 'ResponseTimesReport' });

const rate = z.object({
  rule: z.string(),
  source: z.string().optional(),
  incidents: z.number().int().describe('Classified incidents (test and duplicate left out) with an alert from this rule.'),
  falsePositives: z.number().int(),
  rate: z.number().min(0).max(1),
  byClassification: z.partialRecord(z.enum(CLASSIFICATIONS), z.number().int()),
});

export const falsePositivesSchema = z
  .object({
    period: periodSchema,
    classified: z.number().int().describe('Closed incidents in the period with a classification.'),
    unclassified: z.number().int().describe('Closed incidents in the period without one (closed before classifications were recorded).'),
    routingRules: z.array(rate).describe('Per routing rule (runbooks/routing.yaml) that sent the alerts.'),
    vendorRules: z.array(rate).describe("Per vendor rule (the SIEM's own detection: Falco rule, Splunk search, GuardDuty finding type, …)."),
  })
  .meta({ id: 'FalsePositivesReport' });
