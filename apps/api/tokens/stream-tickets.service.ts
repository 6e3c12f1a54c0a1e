import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Caller } from '../auth/roles';
import { ApiError } from '../common/error.filter';
import { sha256, TokensService } from './tokens.service';

/** How long a ticket waits to be used. */
const TICKET_MS = 30_000;

/**
 * Stream tickets: a browser's EventSource cannot send an Authorization header, and a token in a
 * URL ends up in proxies' and browsers' histories. A ticket is asked for with the token
 * (POST /incidents/:id/timeline/stream-tickets), names one incident, lasts 30 seconds and opens
 * one stream. Kept in Postgres (as its SHA-256), so any API replica can take it.
 */
@Injectable()
export class StreamTickets {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TokensService) private readonly tokens: TokensService,
  ) {}

  async issue(caller: Caller, incidentId: string): Promise<{ ticket: string; expiresAt: Date }> {
    const ticket = `pst_${randomBytes(32).toString('base64url')}`;
    await this.db.query(`DELETE FROM stream_tickets WHERE expires_at < now()`);
    const [row] = await this.db.query<{ expires_at: Date }[]>(
      `INSERT INTO stream_tickets (ticket_sha256, token_id, incident_id, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond') RETURNING expires_at`,
      [sha256(ticket), caller.tokenId, incidentId, TICKET_MS],
    );
    return { ticket, expiresAt: row.expires_at };
  }

  /** The caller behind a ticket for this incident, taking the ticket (it opens one stream); 401 otherwise. */
  async redeem(ticket: string, incidentId: string): Promise<Caller> {
    const [row] = await this.db.query<{ token_id: string }[]>(
      `WITH taken AS (DELETE FROM stream_tickets WHERE ticket_sha256 = $1 AND incident_id::text = $2 AND expires_at > now() RETURNING token_id) SELECT * FROM taken`,
      [sha256(ticket), incidentId],
    );
    const found = row ? await this.tokens.callerById(row.token_id) : undefined;
    if (!found || !('caller' in found)) {
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'ticket_invalid',
        'The stream ticket is unknown, used, older than 30 seconds, for another incident, or its token is no longer valid.',
        'Ask for a new one with your token (POST /incidents/:id/timeline/stream-tickets) and open the stream with ?ticket= at once; a ticket opens one stream.',
      );
    }
    return found.caller;
  }
}
