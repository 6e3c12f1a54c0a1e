import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { writtenText } from '../../common/text';

/** A worker version's build id, as GET /deploys lists it (lib/temporal/build-id.ts: `b` and 16 hex digits). */
export const versionSchema = writtenText(255).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ., _ and - only').describe('A build id GET /deploys lists, e.g. "b3f9c2a1d4e5f60718".');

const allowNoPollersSchema = z
  .boolean()
  .default(false)
  .describe('Go ahead even though no worker of the version has polled for a workflow task in the last 75 s (one at capacity stops polling); new incidents wait until one polls.');

const reasonSchema = writtenText(500).optional().describe('Why (a change ticket, a playbook change); kept on the audit trail.');

export const rampSchema = z.object({
  version: versionSchema,
  percent: z.number().min(0).max(100).describe('The share of new runs (and of AUTO_UPGRADE runs\' next tasks) the version takes; 0 keeps it ramping with none.'),
  allowNoPollers: allowNoPollersSchema,
  reason: reasonSchema,
});
export class RampDto extends createZodDto(rampSchema) {}

export const promoteSchema = z.object({
  version: versionSchema.optional().describe('The version to make current; default the ramping one.'),
  force: z.boolean().default(false).describe('Promote even when open incidents do not replay on its code (they will be stuck until a rollback).'),
  allowNoPollers: allowNoPollersSchema,
  reason: reasonSchema,
});
export class PromoteDto extends createZodDto(promoteSchema) {}

export const rollbackSchema = z.object({ allowNoPollers: allowNoPollersSchema.describe('Roll back even though no worker of the version it goes back to has polled in the last 75 s; new incidents wait until one polls.'), reason: reasonSchema });
export class RollbackDto extends createZodDto(rollbackSchema) {}
