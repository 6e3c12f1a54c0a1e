import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { note, printJson, say, shortId, table, utc } from './output';

export const TOKEN_ROLES = ['viewer', 'responder', 'approver', 'admin'] as const;

interface TokenJson {
  id: string;
  name: string;
  role: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** `palisade token create --name <who> --role <role>` (admin): prints the token, which is never shown again. */
export async function tokenCreate(client: ApiClient, opts: { name: string; role: string; json?: boolean }): Promise<void> {
  if (!(TOKEN_ROLES as readonly string[]).includes(opts.role)) {
    throw new CliError(EXIT.usage, 'invalid_option', `--role ${opts.role} is not one of ${TOKEN_ROLES.join(', ')}.`, 'Each role includes the ones before it: viewer < responder < approver < admin.');
  }
  const created = await client.post<TokenJson & { token: string }>('/tokens', { name: opts.name, role: opts.role });
  if (opts.json) return printJson(created);
  say(created.token);
  note(
    `Token ${created.id} for ${created.name} (${created.role}). It is shown only this once: Palisade keeps only its SHA-256.\n` +
      `Hand it over safely; they set PALISADE_TOKEN to it. Revoke it with: palisade token revoke ${created.id}`,
  );
}

/** `palisade token ls` (admin): every token, newest first, never the token itself. */
export async function tokenList(client: ApiClient, opts: { json?: boolean }): Promise<void> {
  const { tokens } = await client.get<{ tokens: TokenJson[] }>('/tokens');
  if (opts.json) return printJson({ tokens });
  if (tokens.length === 0) return say('No API tokens.');
  say(
    table(
      ['ID', 'NAME', 'ROLE', 'CREATED BY', 'CREATED (UTC)', 'LAST USED (UTC)', 'REVOKED (UTC)'],
      tokens.map((t) => [shortId(t.id), t.name, t.role, t.createdBy, utc(t.createdAt), utc(t.lastUsedAt), utc(t.revokedAt)]),
    ),
  );
}

/** `palisade token revoke <id> [--reason]` (admin): the id as `token ls` shows it, or in full. */
export async function tokenRevoke(client: ApiClient, idOrPrefix: string, opts: { reason?: string; json?: boolean }): Promise<void> {
  const id = await tokenId(client, idOrPrefix);
  const revoked = await client.delete<TokenJson>(`/tokens/${id}`, { reason: opts.reason });
  if (opts.json) return printJson(revoked);
  say(`Revoked token ${revoked.id} (${revoked.name}, ${revoked.role}) at ${utc(revoked.revokedAt)}.`);
}

async function tokenId(client: ApiClient, idOrPrefix: string): Promise<string> {
  if (idOrPrefix.length >= 36) return idOrPrefix;
  const { tokens } = await client.get<{ tokens: TokenJson[] }>('/tokens');
  const matches = tokens.filter((t) => t.id.startsWith(idOrPrefix.toLowerCase()));
  if (matches.length === 1) return matches[0].id;
  if (matches.length === 0) throw new CliError(EXIT.notFound, 'token_not_found', `No API token id starts with '${idOrPrefix}'.`, '`palisade token ls` lists them.');
  throw new CliError(EXIT.usage, 'ambiguous_token_id', `'${idOrPrefix}' starts ${matches.length} token ids.`, 'Give more characters of the id, or all of it.');
}
