import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { ACTION_ITEM_STATUSES, REVIEW_STATES } from '../../../../lib/postmortem/review';
import { timeSchema, uuidSchema } from '../../common/openapi/schemas';
import { writtenText, trimmedText } from '../../common/text';

const line = writtenText(2000);
const lines = z.array(line).max(50);

/** A calendar day that exists (2026-02-30 does not): the pattern says so in the OpenAPI document too. */
const day = z.iso.date({ message: 'expected a day that exists, as YYYY-MM-DD' });

export const actionItemInputSchema = z.strictObject({
  id: z.number().int().positive().optional().describe('Keep an existing item (GET /postmortems/:id lists them with their ids); leave out for a new one.'),
  title: line.describe('What is to be done.'),
  owner: writtenText(200).describe('Who does it (a person as people.yaml and API tokens name them).'),
  due: day.describe('By when (YYYY-MM-DD).'),
  status: z.enum(ACTION_ITEM_STATUSES).optional().describe('open (default for a new item) or done.'),
});

export const editPostmortemSchema = z
  .strictObject({
    rootCause: trimmedText(20_000).optional().describe('Why it happened (Markdown, shown as text).'),
    contributingFactors: lines.optional(),
    wentWell: lines.optional().describe('What went well.'),
    wentBadly: lines.optional().describe('What went badly.'),
    actionItems: z.array(actionItemInputSchema).max(100).optional().describe('The whole list: items left out are removed, items without an id are added.'),
  })
  .describe('Fields left out stay as they are; an empty edit changes nothing but starts the draft if there is none.');
export class EditPostmortemDto extends createZodDto(editPostmortemSchema) {}

export const signOffSchema = z.strictObject({ note: writtenText(2000).optional().describe('Optional: what the reviewer checked.') });
export class SignOffDto extends createZodDto(signOffSchema) {}

export const startRevisionSchema = z.strictObject({ reason: line.describe('Why the published postmortem is revised; it goes on the timeline.') });
export class StartRevisionDto extends createZodDto(startRevisionSchema) {}

export const diffQuerySchema = z.object({
  from: z.coerce.number().int().positive().describe('The earlier revision.'),
  to: z.coerce.number().int().positive().describe('The later revision.'),
});
export class DiffQueryDto extends createZodDto(diffQuerySchema) {}

const time = timeSchema.nullable();
const signOff = z.object({ reviewer: z.string(), note: z.string().nullable(), signedAt: timeSchema });
const actionItem = z.object({ id: z.number().int(), title: z.string(), owner: z.string(), due: z.string(), status: z.enum(ACTION_ITEM_STATUSES) });
const content = z.object({ rootCause: z.string(), contributingFactors: z.array(z.string()), wentWell: z.array(z.string()), wentBadly: z.array(z.string()), actionItems: z.array(actionItem) });

const revisionFields = {
  revision: z.number().int(),
  state: z.enum(REVIEW_STATES),
  createdBy: z.string(),
  createdAt: timeSchema,
  editedBy: z.string().nullable().describe('Who wrote the last edit: they may not sign this revision off.'),
  editedAt: time,
  submittedBy: z.string().nullable(),
  submittedAt: time,
  publishedAt: time,
  signOffs: z.array(signOff),
};

export const postmortemReviewSchema = z
  .object({
    incidentId: uuidSchema,
    state: z.enum(['none', ...REVIEW_STATES]).describe('none: nobody has written on it yet (the generated postmortem alone).'),
    current: z.object({ ...revisionFields, content }).nullable(),
    published: z.object({ revision: z.number().int(), publishedAt: timeSchema, signOffs: z.array(signOff) }).nullable().describe('The latest published revision, if any.'),
    signOffsNeeded: z.number().int(),
    actionItems: z.array(
      actionItem.extend({
        ticket: z
          .object({ vendor: z.string(), project: z.string(), status: z.string(), key: z.string().nullable(), url: z.string().nullable(), error: z.string().nullable() })
          .nullable()
          .describe('Its ticket (null: none asked for: not yet in review, or no ticketing for this incident).'),
      }),
    ),
    suggestedActionItems: z.array(z.string()).describe('What the generated postmortem suggests from the timeline.'),
    links: z.object({ generated: z.string(), revisions: z.string() }),
  })
  .meta({ id: 'PostmortemReview' });

export const reviewChangeSchema = z
  .object({ incidentId: uuidSchema, revision: z.number().int(), state: z.enum(REVIEW_STATES), signOffs: z.array(signOff).optional(), tickets: z.number().int().optional() })
  .meta({ id: 'PostmortemReviewChange' });

export const revisionListSchema = z.object({ incidentId: uuidSchema, revisions: z.array(z.object({ ...revisionFields, content })) }).meta({ id: 'PostmortemRevisions' });

export const revisionDiffSchema = z
  .object({
    incidentId: uuidSchema,
    from: z.number().int(),
    to: z.number().int(),
    changes: z.array(z.looseObject({ field: z.enum(['rootCause', 'contributingFactors', 'wentWell', 'wentBadly', 'actionItems']) })).describe(
      'Field by field: rootCause {from, to}; lists {added, removed}; actionItems {added, removed, changed: [{id, from, to}]}.',
    ),
  })
  .meta({ id: 'PostmortemRevisionDiff' });
