import { z } from 'zod';

/**
 * Where GitHub found a secret again (`secret-scanning-location` in github/rest-api-description):
 * a commit or wiki commit (path, lines, commit), or an issue, pull request or discussion
 * (title, body, comment, review: one API URL). Types GitHub adds later are kept by name.
 */
export const locationSchema = z.object({
  type: z.string().min(1).max(100),
  details: z.record(z.string(), z.unknown()).nullish(),
});
export type SecretLocation = z.infer<typeof locationSchema>;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, 500) : typeof v === 'number' ? String(v) : undefined);

/** The location as a responder reads it, and as labels; every string through `clean` (redaction). */
export function describeLocation(location: SecretLocation, clean: (s: string) => string): { text: string; labels: Record<string, string> } {
  const d = location.details ?? {};
  const type = clean(location.type);
  const labels: Record<string, string> = { locationType: type };
  const path = text(d.path);
  if (path !== undefined) {
    const line = text(d.start_line);
    const commit = text(d.commit_sha);
    labels.locationPath = clean(path);
    if (line) labels.locationLine = line;
    if (commit) labels.locationCommit = clean(commit);
    const where = `${type === 'wiki_commit' ? 'wiki page ' : ''}${labels.locationPath}${line ? `:${line}` : ''}`;
    return { text: commit ? `${where} (commit ${labels.locationCommit.slice(0, 7)})` : where, labels };
  }
  const url = text(d[`${location.type}_url`]) ?? Object.values(d).map(text).find((v) => v !== undefined);
  if (url) labels.locationUrl = clean(url);
  return { text: `${type.replaceAll('_', ' ')}${url ? ` ${labels.locationUrl}` : ''}`, labels };
}
