import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { writtenText, trimmedText } from '../../common/text';

/** A deny's reason: at least this many characters (trimmed)... */
export const DENY_REASON_MIN = 3;
/** ...and at most this many, as sent (the Slack form checks the same bounds before it closes). */
export const REASON_MAX = 2_000;

export const decideSchema = z
  .object({
    decision: z.enum(['approve', 'deny']).describe('Approve the step, or deny it (a single deny decides).'),
    approver: z
      .never({ message: 'the approver is the person your API token names; remove this field' })
      .optional()
      .describe('Not accepted: the vote is counted as the person the API token names.'),
    choice: writtenText(200).optional().describe('On a gate that offers options (GET /incidents/:id/approvals lists them): which one this approval chooses.'),
    reason: trimmedText(REASON_MAX).optional().describe(`Why; required (${DENY_REASON_MIN} characters or more) to deny. It goes on the timeline.`),
  })
  .refine((d) => d.decision !== 'deny' || (d.reason?.length ?? 0) >= DENY_REASON_MIN, {
    message: `say why you deny (${DENY_REASON_MIN} characters or more)`,
    path: ['reason'],
  });

export class DecideDto extends createZodDto(decideSchema) {}
