import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { PalisadeError } from './errors';

/**
 * Reads one of the YAML files operators edit under `runbooks/` and validates it. A bad file
 * fails with `invalid(reason)`, the reason naming the field and what is wrong with it.
 */
export function readRunbookFile<S extends z.ZodType>(
  file: string,
  schema: S,
  invalid: (reason: string) => PalisadeError,
  describeIssue: (issue: z.core.$ZodIssue, doc: unknown) => string = (issue) => `${issue.path.join('.') || 'the file'}: ${issue.message}`,
): z.infer<S> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw invalid(`is not readable YAML: ${(err as Error).message}`);
  }
  // An empty file reads as null: validate it as an empty document, so the error names what is missing.
  const parsed = schema.safeParse(doc ?? {});
  if (!parsed.success) throw invalid(describeIssue(parsed.error.issues[0], doc));
  return parsed.data;
}

/** Which version of a file this is (its inode, size and time): a file read again only when it changes. */
export function fileStamp(file: string): string {
  const s = statSync(file, { bigint: true });
  return `${s.ino}:${s.size}:${s.mtimeNs}`;
}
