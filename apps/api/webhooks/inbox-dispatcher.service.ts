import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { PalisadeConfig } from '../../../lib/config/env';
import type { Severity } from '../../../lib/domain/incident';
import { ALERT_SEVERITIES, type AlertSeverity, type EntityKind, type SourceName } from '../../../lib/intake/alert';
import { isPlaybook, PLAYBOOKS } from '../../../lib/playbooks';
import { SEARCH_ATTRIBUTE } from '../../../lib/temporal/names';
import { alertsMergedSignal, EVIDENCE_PER_BATCH, type AlertBatch } from '../../../workflows/shared/messages';
import type { TriageBatch, TriageInput } from '../../../workflows/triage/shared';
import { PALISADE_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';

interface ClaimedRow {
  inbox_id: string;
  incident_id: string;
  workflow_id: string;
  alert_id: string;
  source: SourceName;
  title: string;
  severity: AlertSeverity;
  fingerprint: string;
  observed_at: Date;
  entity_kind: EntityKind;
  entity_key: string;
  entity_display: string;
  incident_title: string;
  incident_severity: Severity;
  playbook: string;
  playbook_version: string;
  incident_entity: string;
  detected_at: Date;
  incident_status: string;
  timeline_sequence: number;
}

const BATCH_LIMIT = 1_000;
const LEASE = '30 seconds';
/** An incident is dispatched once its oldest pending alert is this old, so a storm coalesces. */
const COALESCE_MS = 50;
const IDLE_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/**
 * Drains the inbox to Temporal: the oldest pending incident first, all its pending alerts in
 * one signal (signalWithStart), in inbox order, once its oldest alert has waited COALESCE_MS. Rows are leased, not locked across the call,
 * so a dispatcher that dies leaves them to be claimed again; the workflow skips a batch it
 * has already seen. While Temporal is unreachable rows wait and the dispatcher backs off.
 */
@Injectable()
export class InboxDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('InboxDispatcher');
  private running = false;
  private loop: Promise<void> | undefined;
  /** Ends the current sleep (shutdown). */
  private interrupt: (() => void) | undefined;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(Client) private readonly temporal: Client,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    // One read serves both gauges of a scrape.
    let depth: ReturnType<InboxDispatcher['depth']> | undefined;
    const read = () => (depth ??= this.depth().finally(() => setTimeout(() => (depth = undefined), 1_000)));
    metrics.gauge('palisade_inbox_pending', 'Alerts stored but not yet handed to Temporal.', async () => (await read()).pending);
    metrics.gauge('palisade_inbox_oldest_age_seconds', 'Age of the oldest alert waiting in the inbox.', async () => (await read()).oldestAgeSeconds);
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.interrupt?.();
    await this.loop;
  }

  /** Pending rows and the age of the oldest, for /readyz and /metrics. */
  async depth(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const [row] = await this.db.query<{ pending: number; age: number }[]>(
      `SELECT count(*)::int AS pending, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS age
       FROM inbox WHERE dispatched_at IS NULL`,
    );
    return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.round(row?.age ?? 0) };
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      let dispatched = 0;
      try {
        dispatched = await this.drainOnce();
        backoff = 0;
      } catch (err) {
        backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : 250);
        this.log.warn(`dispatch failed, retrying in ${backoff} ms: ${(err as Error).message}`);
      }
      if (backoff > 0) await this.sleep(backoff);
      else if (dispatched === 0) await this.sleep(IDLE_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.interrupt?.(), ms);
      this.interrupt = () => {
        clearTimeout(timer);
        this.interrupt = undefined;
        resolve();
      };
    });
  }

  /** Dispatches one incident's pending rows; returns how many. */
  async drainOnce(): Promise<number> {
    const rows = await this.claim();
    if (rows.length === 0) return 0;
    const first = rows[0];
    if (first.incident_status === 'resolved' || first.incident_status === 'cancelled') {
      // Merged just before the incident closed, claimed after its run ended: the alerts are on
      // record with the incident; starting a run for a closed incident would only confuse it.
      this.log.warn(`incident ${first.incident_id} is ${first.incident_status}: ${rows.length} late alert(s) kept on record, not signalled`);
      await this.markDispatched(rows);
      return rows.length;
    }
    try {
      await this.signal(first, batchOf(rows));
    } catch (err) {
      // Hold only this incident back (exponential, up to 5 minutes): one that cannot be
      // delivered must not stop the others. Its age shows in /readyz and /metrics.
      await this.db.query(
        `UPDATE inbox SET claimed_until = now() + LEAST(interval '1 second' * power(2, LEAST(attempts, 9)), interval '5 minutes'),
           last_error = $2 WHERE id = ANY($1::bigint[])`,
        [rows.map((r) => r.inbox_id), (err as Error).message.slice(0, 500)],
      );
      this.log.error(`incident ${first.incident_id} (${first.workflow_id}): dispatch failed, held back: ${(err as Error).message}`);
      throw err;
    }
    await this.markDispatched(rows);
    return rows.length;
  }

  private async markDispatched(rows: ClaimedRow[]): Promise<void> {
    await this.db.query(`UPDATE inbox SET dispatched_at = now(), claimed_until = NULL WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.inbox_id)]);
  }

  private async claim(): Promise<ClaimedRow[]> {
    return this.db.query<ClaimedRow[]>(
      `WITH target AS (
         SELECT incident_id FROM inbox pending
         WHERE dispatched_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
           AND created_at < now() - interval '${COALESCE_MS} milliseconds'
           AND NOT EXISTS (SELECT 1 FROM inbox busy WHERE busy.incident_id = pending.incident_id
                           AND busy.dispatched_at IS NULL AND busy.claimed_until >= now())
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
       ), locked AS (
         -- One dispatcher per incident: another replica that picked a different row of the same
         -- incident in the same instant gets no lock and claims nothing this round.
         SELECT incident_id FROM target WHERE pg_try_advisory_xact_lock(hashtext(incident_id::text))
       ), claimed AS (
         UPDATE inbox SET claimed_until = now() + interval '${LEASE}', attempts = attempts + 1
         WHERE id IN (SELECT id FROM inbox WHERE incident_id = (SELECT incident_id FROM locked)
                      AND dispatched_at IS NULL ORDER BY id LIMIT ${BATCH_LIMIT})
         RETURNING id, incident_id, workflow_id, alert_id
       )
       SELECT c.id AS inbox_id, c.incident_id, c.workflow_id, c.alert_id, a.source, a.title, a.severity, a.fingerprint,
              a.observed_at, a.entity_kind, a.entity_key, a.entity_display, i.title AS incident_title,
              i.severity AS incident_severity, i.playbook, i.playbook_version, i.entity AS incident_entity, i.detected_at, i.status AS incident_status,
              (SELECT COALESCE(max(t.sequence), 0)::int FROM timeline_events t WHERE t.incident_id = c.incident_id) AS timeline_sequence
       FROM claimed c JOIN alerts a ON a.id = c.alert_id JOIN incidents i ON i.id = c.incident_id
       ORDER BY c.id`,
    );
  }

  private async signal(first: ClaimedRow, batch: AlertBatch): Promise<void> {
    if (!isPlaybook(first.playbook)) throw new Error(`incident ${first.incident_id} names unknown playbook '${first.playbook}'`);
    const playbook = PLAYBOOKS[first.playbook];
    const input: TriageInput = {
      incidentId: first.incident_id,
      playbook: first.playbook,
      playbookVersion: first.playbook_version,
      entityKey: first.incident_entity,
      entity: { kind: first.entity_kind, key: first.entity_key, display: first.entity_display },
      title: first.incident_title,
      severity: first.incident_severity,
      source: first.source,
      detectedAt: first.detected_at.toISOString(),
      timelineSequence: first.timeline_sequence,
      firstAlertId: first.alert_id,
    };
    const signalled: TriageBatch = { ...batch, start: input };
    await this.temporal.workflow.signalWithStart(playbook.workflowType, {
      workflowId: first.workflow_id,
      taskQueue: this.config.temporal.taskQueue,
      args: [input],
      signal: alertsMergedSignal,
      signalArgs: [signalled],
      memo: { incidentId: first.incident_id, playbook: first.playbook, playbookVersion: playbook.version },
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTE.playbook, value: first.playbook },
        { key: SEARCH_ATTRIBUTE.playbookVersion, value: playbook.version },
        { key: SEARCH_ATTRIBUTE.severity, value: first.incident_severity },
        { key: SEARCH_ATTRIBUTE.entity, value: first.incident_entity },
        { key: SEARCH_ATTRIBUTE.source, value: batch.sources },
      ],
    });
  }
}

/** Coalesces an incident's pending alerts into one signal: counts, first/last seen, a little evidence. */
export function batchOf(rows: ClaimedRow[]): AlertBatch {
  const times = rows.map((r) => r.observed_at.getTime());
  const evidence = new Map<string, AlertBatch['evidence'][number]>();
  for (const r of rows) {
    if (evidence.size >= EVIDENCE_PER_BATCH) break;
    if (!evidence.has(r.fingerprint)) {
      evidence.set(r.fingerprint, {
        alertId: r.alert_id,
        source: r.source,
        title: r.title,
        severity: r.severity,
        fingerprint: r.fingerprint,
        observedAt: r.observed_at.toISOString(),
      });
    }
  }
  return {
    incidentId: rows[0].incident_id,
    lastInboxId: Number(rows.at(-1)!.inbox_id),
    count: rows.length,
    firstSeen: new Date(Math.min(...times)).toISOString(),
    lastSeen: new Date(Math.max(...times)).toISOString(),
    sources: [...new Set(rows.map((r) => r.source))],
    maxSeverity: rows.reduce<AlertSeverity>((max, r) => (ALERT_SEVERITIES.indexOf(r.severity) > ALERT_SEVERITIES.indexOf(max) ? r.severity : max), 'info'),
    evidence: [...evidence.values()],
  };
}
