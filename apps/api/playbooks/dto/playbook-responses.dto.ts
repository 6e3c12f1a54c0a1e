import { z } from 'zod';
import { uuidSchema } from '../../common/openapi/schemas';

const playbookSchema = z
  .object({
    name: z.string(),
    workflowType: z.string(),
    version: z.string(),
    description: z.string(),
    manual: z.boolean().describe('Whether POST /playbooks/<name>/runs starts it.'),
    paramsSchema: z.record(z.string(), z.unknown()).nullable().describe('The JSON schema of its params when it can be started by hand.'),
    runbook: z.string().nullable().describe('Its runbook page (runbooks/<name>.md).'),
    steps: z.array(z.string()),
    gates: z.array(
      z.object({
        id: z.string(),
        approvers: z.string(),
        quorum: z.number().int(),
        criticalQuorum: z.number().int(),
        fourEyes: z.boolean(),
        timeout: z.string(),
        escalation: z.array(z.object({ notify: z.string(), timeout: z.string() })),
        fallback: z.string(),
      }),
    ),
  })
  .meta({ id: 'Playbook' });

export const playbookListSchema = z.array(playbookSchema).meta({ id: 'PlaybookList' });

export const runStartedSchema = z
  .object({
    incidentId: uuidSchema,
    workflowId: z.string(),
    links: z.object({ incident: z.string(), timeline: z.string(), approvals: z.string() }),
  })
  .meta({ id: 'RunStarted' });
