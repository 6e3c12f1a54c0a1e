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
    runbook: z.string().nullable().describe('Its runbook page (runbooks/<name>.md, or runbook.md in a team folder).'),
    steps: z.array(z.string()).describe('The step names its timeline can show, as its declaration lists them ({…} stands for a value).'),
    runnerSteps: z.array(z.string()).describe("Steps every playbook's timeline can show besides its own (the runner's pages and notices)."),
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
    source: z
      .object({ kind: z.enum(['shipped', 'team']), dir: z.string() })
      .describe('Where it came from: shipped with the engine (under workflows/), or a team folder named in PALISADE_PLAYBOOKS_DIR.'),
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
