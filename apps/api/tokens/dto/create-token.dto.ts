import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { DURATION_PATTERN } from '../../../../lib/duration';
import { ROLES } from '../../auth/roles';
import { trimmedText } from '../../common/text';

export const createTokenSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe('Who uses it: for approvers, their id in runbooks/people.yaml (or email), which is who their votes are counted as.'),
  role: z.enum(ROLES).describe('viewer < responder < approver < admin; each includes the ones before it.'),
  expiresIn: z
    .string()
    .regex(DURATION_PATTERN, 'a duration such as 12h, 30d or 90d')
    .optional()
    .describe('How long it lasts: default PALISADE_TOKEN_TTL (90d), at most PALISADE_TOKEN_MAX_TTL (365d); a game-day token at most 24h.'),
  purpose: z
    .enum(['person', 'gameday'])
    .default('person')
    .describe('`gameday`: the game-day exception, only while every capability is simulated: the token counts as the person it names without a claim (audited, 24h at most).'),
});

export class CreateTokenDto extends createZodDto(createTokenSchema) {}

export const claimTokenSchema = z
  .object({ code: z.string().min(8).max(200).trim().describe('The claim code Palisade sent the person the token names, in Slack.') })
  .strict();

export class ClaimTokenDto extends createZodDto(claimTokenSchema) {}

export const revokeTokenQuerySchema = z.object({
  // In the URL: at most 500 characters, so any of them fits in the 16 KB a request line may have.
  reason: trimmedText(500).optional().describe('Why it is revoked: it goes in the audit log.'),
});

export class RevokeTokenQueryDto extends createZodDto(revokeTokenQuerySchema) {}
