import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PalisadeError } from '../errors';
import { compileGlob, MAX_GLOB_PATTERN_CHARS, type Glob } from './glob';

/** A maintenance window: alerts whose entity matches are stored and answered "suppressed". */
export interface SuppressionWindow {
  entityPattern: string;
  startsAt: Date;
  endsAt: Date;
  reason: string;
  createdBy: string;
}

const windowSchema = z
  .object({
    entity: z.string().min(1).max(MAX_GLOB_PATTERN_CHARS).describe('entity key or routed entity key; * is a wildcard'),
    from: z.coerce.date(),
    until: z.coerce.date(),
    reason: z.string().min(1),
    by: z.string().min(1),
  })
  .strict()
  .refine((w) => w.until > w.from, { message: "'until' must be after 'from'" });

const fileSchema = z.object({ suppressions: z.array(windowSchema).default([]) }).strict();

/** Reads runbooks/suppressions.yaml (a missing file means no windows); a bad file stops the engine. */
export function loadSuppressions(file: string): SuppressionWindow[] {
  if (!existsSync(file)) return [];
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw invalid(file, `is not readable YAML: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const [, index, ...rest] = issue.path;
    throw invalid(file, `${typeof index === 'number' ? `window ${index + 1}` : 'the file'}: ${rest.join('.') || ''} ${issue.message}`.trim());
  }
  return parsed.data.suppressions.map((w) => ({ entityPattern: w.entity, startsAt: w.from, endsAt: w.until, reason: w.reason, createdBy: w.by }));
}

/** True when a window is open now and its pattern matches one of the keys. */
export function suppresses(windows: Pick<SuppressionWindow, 'entityPattern' | 'startsAt' | 'endsAt'>[], keys: string[], now = new Date()): boolean {
  return windows.some((w) => w.startsAt <= now && now <= w.endsAt && keys.some((k) => entityGlob(w.entityPattern).test(k)));
}

/** `*` matches anything (line breaks too); everything else literally. Linear time: see lib/intake/glob.ts. */
export function entityGlob(pattern: string): Glob {
  return compileGlob(pattern);
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError('suppressions_invalid', `Suppressions file ${file}: ${reason}.`, 'Fix the file (see the comment at its top) and start again.');
}
