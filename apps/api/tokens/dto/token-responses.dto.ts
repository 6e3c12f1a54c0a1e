import { z } from 'zod';
import { ROLES, type TokenBinding } from '../../auth/roles';
import { timeSchema, uuidSchema } from '../../common/openapi/schemas';

const boundSchema = z
  .union([z.enum(['bootstrap', 'made', 'claimed', 'gameday'] as const satisfies readonly Exclude<TokenBinding, false>[]), z.literal(false)])
  .describe('How the token is tied to the person it names; false: made for them by someone else and not claimed yet, so its maker answers for it too.');
const purposeSchema = z.enum(['person', 'gameday']);

const tokenFields = {
  id: uuidSchema,
  name: z.string(),
  role: z.enum(ROLES),
  createdBy: z.string(),
  createdAt: timeSchema,
  lastUsedAt: timeSchema.nullable(),
  revokedAt: timeSchema.nullable(),
  expiresAt: timeSchema,
  bound: boundSchema,
  principal: z.string().describe('Who answers for what the token does.'),
  purpose: purposeSchema,
};

/** A token as listed (never its secret). */
export const tokenSchema = z.object(tokenFields).meta({ id: 'Token' });

const secret = z.string().describe('The token itself: shown in this answer only (Palisade keeps its SHA-256).');

export const createdTokenSchema = z
  .object({
    ...tokenFields,
    token: secret,
    claim: z
      .union([
        z.object({ status: z.literal('not_needed') }),
        z.object({ status: z.literal('not_a_person') }),
        z.object({ status: z.literal('sent'), to: z.string(), expiresAt: timeSchema }),
        z.object({ status: z.literal('not_sent'), reason: z.string() }),
      ])
      .describe('Where the claim code for the person it names went.'),
  })
  .meta({ id: 'CreatedToken' });

export const claimedTokenSchema = z.object({ ...tokenFields, token: secret }).meta({ id: 'ClaimedToken' });

export const tokenListSchema = z.object({ tokens: z.array(tokenSchema) }).meta({ id: 'TokenList' });

export const meSchema = z
  .object({
    name: z.string(),
    role: z.enum(ROLES),
    tokenId: uuidSchema,
    bound: boundSchema,
    principal: z.string(),
    purpose: purposeSchema,
    expiresAt: timeSchema,
    createdBy: z.string(),
  })
  .meta({ id: 'Me' });
