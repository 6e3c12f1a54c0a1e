import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { writtenText, trimmedText } from '../../common/text';

export const decideSchema = z
  .object({
    decision: z.enum(['approve', 'deny']).describe('Approve the step, or deny it (a single deny decides).'),
    approver: z
      .never({ message: 'the approver is the person your API token names; remove this field' })
      .optional()
      .describe('Not accepted: the vote is counted as the person the API token names.'),
    choice: writtenText(200).optional().describe('On a gate that offers options (GET /incidents/:id/approvals lists them): which one this approval chooses.'),
    reason: trimmedText(2000).optional().describe('Why; required (3 characters or more) to deny. It goes on the timeline.'),
  })
  .refine((d) => d.decision !== 'deny' || (d.reason?.length ?? 0) >= 3, {
    message: 'say why you deny (3 characters or more)',
    path: ['reason'],
  });

export class DecideDto extends createZodDto(decideSchema) {}
