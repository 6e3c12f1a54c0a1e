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
  expiresAt: string;
  bound: string | false;
}

type Claim = { status: 'not_needed' | 'not_a_person' } | { status: 'sent'; to: string; expiresAt: string } | { status: 'not_sent'; reason: string };

/** `palisade token create --name <who> --role <role> [--expires-in 30d]` (admin): prints the token, which is never shown again. */
export async function tokenCreate(client: ApiClient, opts: { name: string; role: string; expiresIn?: string; json?: boolean }): Promise<void> {
  if (!(TOKEN_ROLES as readonly string[]).includes(opts.role)) {
    throw new CliError(EXIT.usage, 'invalid_option', `--role ${opts.role} is not one of ${TOKEN_ROLES.join(', ')}.`, 'Each role includes the ones before it: viewer < responder < approver < admin.');
  }
  const created = await client.post<TokenJson & { token: string; claim: Claim }>('/tokens', { name: opts.name, role: opts.role, ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}) });
  if (opts.json) return printJson(created);
  say(created.token);
  note(
    `Token ${created.id} for ${created.name} (${created.role}), valid until ${utc(created.expiresAt)}. It is shown only this once: Palisade keeps only its SHA-256.\n` +
      `Hand it over safely; they set PALISADE_TOKEN to it. Revoke it with: palisade token revoke ${created.id}\n` +
      claimNote(created.name, created.claim),
  );
}

function claimNote(name: string, claim: Claim): string {
  switch (claim.status) {
    case 'not_needed':
      return 'It is bound to its person already.';
    case 'not_a_person':
      return `${name} is nobody in runbooks/people.yaml: the token can read and act, but votes as nobody.`;
    case 'sent':
      return `Until ${name} claims it (\`palisade token claim <code>\` with the code sent to ${claim.to}, before ${utc(claim.expiresAt)}), what it does is counted as yours too.`;
    case 'not_sent':
      return `No claim code could be sent (${claim.reason}): what it does is counted as yours too.`;
  }
}

/** `palisade token claim <code>`: the person a token names makes it theirs; prints the new token, which replaces the old one. */
export async function tokenClaim(client: ApiClient, code: string, opts: { json?: boolean }): Promise<void> {
  const claimed = await client.post<TokenJson & { token: string }>('/tokens/claim', { code });
  if (opts.json) return printJson(claimed);
  say(claimed.token);
  note(`Token ${claimed.id} is now yours (${claimed.name}, ${claimed.role}), valid until ${utc(claimed.expiresAt)}. Set PALISADE_TOKEN to the token above: the one you were given stopped working.`);
}

/** `palisade token ls` (admin): every token, newest first, never the token itself. */
export async function tokenList(client: ApiClient, opts: { json?: boolean }): Promise<void> {
  const { tokens } = await client.get<{ tokens: TokenJson[] }>('/tokens');
  if (opts.json) return printJson({ tokens });
  if (tokens.length === 0) return say('No API tokens.');
  say(
    table(
      ['ID', 'NAME', 'ROLE', 'CREATED BY', 'BOUND', 'CREATED (UTC)', 'EXPIRES (UTC)', 'LAST USED (UTC)', 'REVOKED (UTC)'],
      tokens.map((t) => [shortId(t.id), t.name, t.role, t.createdBy, t.bound || 'no', utc(t.createdAt), utc(t.expiresAt), utc(t.lastUsedAt), utc(t.revokedAt)]),
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
