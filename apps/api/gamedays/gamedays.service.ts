import { HttpStatus, Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import type { PalisadeConfig } from '../../../lib/config/env';
import { describeError, PalisadeError } from '../../../lib/errors';
import { assertFaultsSupported } from '../../../lib/gamedays/faults';
import { runGameday, type GamedayEvent } from '../../../lib/gamedays/runner';
import { loadScenario, resolveScenario, type Scenario } from '../../../lib/gamedays/scenario';
import { ApiClient } from '../../cli/commands/api-client';
import type { Caller } from '../auth/roles';
import { ApiError } from '../common/error.filter';
import { isUuid } from '../common/openapi/schemas';
import { PALISADE_CONFIG } from '../config/config.module';
import { TokensService } from '../tokens/tokens.service';

interface GamedayRow {
  id: string;
  scenario: string;
  status: 'running' | 'passed' | 'failed' | 'error';
  requestedBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  events: GamedayEvent[];
  scorecard: unknown;
  error: string | null;
}

/** How often the process running a game day says so. */
const HEARTBEAT_MS = 5_000;
/** Silence after which any replica marks the run error: its process is gone. */
const ABANDONED_AFTER_S = 30;

/**
 * Game days run in this process, in the background, against this API's own address through
 * the same doors `palisade gameday run` uses, with an admin token made for the run and
 * revoked after it. Runs are stored in `gamedays`; one cut short by a shutdown is marked error,
 * and one whose process died (no heartbeat for 30 s) is marked error by whichever replica
 * next looks at it or starts.
 */
@Injectable()
export class GamedaysService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Gamedays');
  private readonly running = new Map<string, { stop: AbortController; done: Promise<void> }>();

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
  ) {}

  async start(name: string, caller: Caller): Promise<{ id: string; scenario: string; status: 'running' }> {
    const scenario = this.scenario(name);
    const id = randomUUID();
    await this.db.query(`INSERT INTO gamedays (id, scenario, status, requested_by, heartbeat_at) VALUES ($1, $2, 'running', $3, now())`, [id, scenario.name, caller.name]);
    const stop = new AbortController();
    const events: GamedayEvent[] = [];
    const done = this.run(id, scenario, caller, events, stop.signal).finally(() => this.running.delete(id));
    this.running.set(id, { stop, done });
    return { id, scenario: scenario.name, status: 'running' };
  }

  async get(id: string): Promise<GamedayRow> {
    if (isUuid(id)) await this.markAbandoned(id);
    const rows = isUuid(id)
      ? await this.db.query<GamedayRow[]>(
          `SELECT id, scenario, status, requested_by AS "requestedBy", started_at AS "startedAt", finished_at AS "finishedAt", events, scorecard, error FROM gamedays WHERE id = $1`,
          [id],
        )
      : [];
    if (!rows[0]) throw new ApiError(HttpStatus.NOT_FOUND, 'gameday_not_found', `There is no game day ${id}.`, 'POST /gamedays answers with the id of the run it started.');
    return rows[0];
  }

  /**
   * A scenario under the game days folder: 404 when there is none, 400 when it is not valid,
   * 409 when it asks for an infrastructure fault (an API cannot kill itself and come back: the
   * drill harness runs those, lib/gamedays/faults.ts).
   */
  private scenario(name: string): Scenario {
    try {
      const scenario = loadScenario(resolveScenario(name, this.config.playbooks.gamedaysDir));
      assertFaultsSupported(scenario, undefined, 'the API (POST /gamedays)');
      return scenario;
    } catch (err) {
      if (!(err instanceof PalisadeError)) throw err;
      const status = { gameday_not_found: HttpStatus.NOT_FOUND, gameday_fault_unsupported: HttpStatus.CONFLICT }[err.code] ?? HttpStatus.BAD_REQUEST;
      throw new ApiError(status, err.code, err.message, err.hint);
    }
  }

  async onModuleInit(): Promise<void> {
    await this.markAbandoned().catch((err: Error) => this.log.warn(`checking for game days left running failed: ${err.message}`));
  }

  /** Runs (one, or all) still `running` whose process has not been heard from: error, with the reason. */
  private async markAbandoned(id?: string): Promise<void> {
    await this.db.query(
      `UPDATE gamedays SET status = 'error', finished_at = now(),
         error = 'the API process running it stopped without finishing it (last heard from ' || to_char(COALESCE(heartbeat_at, started_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC); start it again'
       WHERE status = 'running' AND COALESCE(heartbeat_at, started_at) < now() - make_interval(secs => $1) AND ($2::uuid IS NULL OR id = $2::uuid)`,
      [ABANDONED_AFTER_S, id ?? null],
    );
  }

  async onModuleDestroy(): Promise<void> {
    for (const r of this.running.values()) r.stop.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  private async run(id: string, scenario: Scenario, caller: Caller, events: GamedayEvent[], signal: AbortSignal): Promise<void> {
    let admin: { id: string; token: string } | undefined;
    const client = (token: string) => new ApiClient({ api: this.baseUrl(), token }, { apiUrl: this.baseUrl(), apiUrlFrom: 'PALISADE_API_URL', token, dataDir: this.config.dataDir, webhookSecrets: () => [] });
    const finish = (status: GamedayRow['status'], scorecard: unknown, error: string | null) =>
      this.db.query(`UPDATE gamedays SET status = $2, finished_at = now(), events = $3::jsonb, scorecard = $4::jsonb, error = $5 WHERE id = $1`, [
        id,
        status,
        JSON.stringify(events),
        scorecard === null ? null : JSON.stringify(scorecard),
        error,
      ]);
    const heartbeat = setInterval(() => {
      this.db.query(`UPDATE gamedays SET heartbeat_at = now() WHERE id = $1 AND status = 'running'`, [id]).catch(() => undefined);
    }, HEARTBEAT_MS);
    try {
      admin = await this.tokens.create(`gameday:${scenario.name}:${id.slice(0, 8)}`, 'admin', caller);
      const scorecard = await runGameday(scenario, {
        api: client(admin.token),
        as: client,
        secretFor: (source) => this.config.intake.secrets[source][0] ?? '',
        onEvent: (e) => events.push(e),
        signal,
      });
      await finish(signal.aborted ? 'error' : scorecard.passed ? 'passed' : 'failed', scorecard, signal.aborted ? 'the API shut down before the game day ended' : null);
    } catch (err) {
      await finish('error', null, describeError(err)).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
      if (admin) await this.tokens.revoke(admin.id, caller, `game day ${id} finished`).catch(() => undefined);
    }
  }

  /** This API's own address, as the game day's requests reach it (loopback for a wildcard bind). */
  private baseUrl(): string {
    const address = (this.http.httpAdapter.getHttpServer() as { address(): AddressInfo | string | null }).address();
    if (!address || typeof address === 'string') return `http://127.0.0.1:${this.config.port}`;
    const host = ['0.0.0.0', '::', ''].includes(address.address) ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }
}
