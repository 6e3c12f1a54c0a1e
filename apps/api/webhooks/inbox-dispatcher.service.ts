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

/** Alerts of one incident in one signal. */
const BATCH_LIMIT = 1_000;
/** Incidents dispatched side by side in one round: a burst of new incidents drains in few queries. */
const INCIDENTS_PER_ROUND = 16;
const LEASE = '30 seconds';
/** One signalWithStart may take this long; the rest of the lease is the margin. */
const SIGNAL_DEADLINE_MS = 10_000;
/** An incident is dispatched once its oldest pending alert is this old, so a storm coalesces. */
const COALESCE_MS = 50;
const IDLE_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/**
 * Drains the inbox to Temporal: the incidents with the oldest pending alerts first, each
 * incident's pending alerts in one signal (signalWithStart), in inbox order, once its oldest
 * alert has waited COALESCE_MS. Rows are leased, not locked across the call,
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

  /**
   * Dispatches the pending rows of up to INCIDENTS_PER_ROUND incidents (each incident's rows
   * in one signal, the incidents side by side); returns how many rows. Throws after the round
   * when any incident could not be dispatched, so the loop backs off.
   */
  async drainOnce(): Promise<number> {
    const rows = await this.claim();
    if (rows.length === 0) return 0;
    const incidents = groupByIncident(rows);
    const failures = new Map<ClaimedRow[], Error>();
    // Incidents of different workflows side by side; two incidents of one workflow (an entity's
    // next incident arriving while the last one closes) one after the other, in inbox order.
    await Promise.all(
      [...groupBy(incidents, (group) => group[0].workflow_id).values()].map(async (chain) => {
        let failed: Error | undefined;
        for (const group of chain) {
          // After a failure the workflow's later incidents wait too, to keep their order.
          if (!failed) failed = await this.dispatch(group).then(() => undefined, (err: unknown) => (err instanceof Error ? err : new Error(String(err))));
          if (failed) failures.set(group, failed);
        }
      }),
    );
    const done = incidents.filter((group) => !failures.has(group)).flat();
    if (done.length > 0) await this.markDispatched(done);
    for (const [group, err] of failures) await this.holdBack(group, err);
    const [first] = failures.values();
    if (first) throw first;
    return rows.length;
  }

  /** Signals one incident's claimed rows to its workflow. */
  private async dispatch(rows: ClaimedRow[]): Promise<void> {
    const first = rows[0];
    if (first.incident_status === 'resolved' || first.incident_status === 'cancelled') {
      // Merged just before the incident closed, claimed after its run ended: the alerts are on
      // record with the incident; starting a run for a closed incident would only confuse it.
      this.log.warn(`incident ${first.incident_id} is ${first.incident_status}: ${rows.length} late alert(s) kept on record, not signalled`);
      return;
    }
    await this.signal(first, batchOf(rows));
  }

  /**
   * Holds only this incident back (exponential, up to 5 minutes): one that cannot be delivered
   * must not stop the others. Its age shows in /readyz and /metrics.
   */
  private async holdBack(rows: ClaimedRow[], err: Error): Promise<void> {
    await this.db.query(
      `UPDATE inbox SET claimed_until = now() + LEAST(interval '1 second' * power(2, LEAST(attempts, 9)), interval '5 minutes'),
         last_error = $2 WHERE id = ANY($1::bigint[])`,
      [rows.map((r) => r.inbox_id), err.message.slice(0, 500)],
    );
    this.log.error(`incident ${rows[0].incident_id} (${rows[0].workflow_id}): dispatch failed, held back: ${err.message}`);
  }

  private async markDispatched(rows: ClaimedRow[]): Promise<void> {
    await this.db.query(`UPDATE inbox SET dispatched_at = now(), claimed_until = NULL WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.inbox_id)]);
  }

  /**
   * Leases the pending rows (up to BATCH_LIMIT each, in inbox order) of the incidents whose
   * oldest pending alert is oldest, skipping incidents another dispatcher holds. Two
   * statements in one transaction: the first picks incidents and takes their advisory locks;
   * the second, under a snapshot taken after the locks, leases only incidents no other
   * dispatcher leased meanwhile (one statement's snapshot could predate a replica's lease).
   */
  private async claim(): Promise<ClaimedRow[]> {
    return this.db.transaction(async (tx) => {
      const picked = await tx.query<{ incident_id: string }[]>(
        `WITH busy AS MATERIALIZED (
           -- Incidents another dispatcher is delivering right now (few rows, by inbox_leased_idx).
           SELECT DISTINCT incident_id FROM inbox WHERE dispatched_at IS NULL AND claimed_until IS NOT NULL AND claimed_until >= now()
         ), candidates AS (
           SELECT id, incident_id FROM inbox
           WHERE dispatched_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
             AND created_at < now() - interval '${COALESCE_MS} milliseconds'
             AND incident_id NOT IN (SELECT incident_id FROM busy)
           ORDER BY id LIMIT ${INCIDENTS_PER_ROUND * 4} FOR UPDATE SKIP LOCKED
         ), oldest AS (
           SELECT incident_id, min(id) AS first_id FROM candidates GROUP BY incident_id ORDER BY first_id LIMIT ${INCIDENTS_PER_ROUND}
         )
         -- One dispatcher per incident: a replica that picked the same incident gets no lock.
         SELECT incident_id FROM oldest WHERE pg_try_advisory_xact_lock(hashtext(incident_id::text))`,
      );
      if (picked.length === 0) return [];
      return tx.query<ClaimedRow[]>(
        `WITH claimed AS (
           UPDATE inbox SET claimed_until = now() + interval '${LEASE}', attempts = attempts + 1
           -- Rows claimed before and never marked (a dispatcher died after, or while, signalling
           -- them) go again alone, as the very same batch: the workflow knows its lastInboxId and
           -- skips it if it arrived. Merged with newer rows, it would be counted twice.
           WHERE id IN (SELECT id FROM (SELECT id, attempts, row_number() OVER (PARTITION BY incident_id ORDER BY id) AS n,
                                               bool_or(attempts > 0) OVER (PARTITION BY incident_id) AS retrying
                                        FROM inbox WHERE incident_id = ANY($1::uuid[]) AND dispatched_at IS NULL) mine
                        WHERE n <= ${BATCH_LIMIT} AND (attempts > 0 OR NOT retrying))
             AND NOT EXISTS (SELECT 1 FROM inbox leased WHERE leased.incident_id = inbox.incident_id
                             AND leased.dispatched_at IS NULL AND leased.claimed_until >= now())
           RETURNING id, incident_id, workflow_id, alert_id
         ), sequences AS (
           SELECT c.incident_id, (SELECT COALESCE(max(t.sequence), 0)::int FROM timeline_events t WHERE t.incident_id = c.incident_id) AS timeline_sequence
           FROM (SELECT DISTINCT incident_id FROM claimed) c
         )
         SELECT c.id AS inbox_id, c.incident_id, c.workflow_id, c.alert_id, a.source, a.title, a.severity, a.fingerprint,
                a.observed_at, a.entity_kind, a.entity_key, a.entity_display, i.title AS incident_title,
                i.severity AS incident_severity, i.playbook, i.playbook_version, i.entity AS incident_entity, i.detected_at, i.status AS incident_status,
                s.timeline_sequence
         FROM claimed c JOIN alerts a ON a.id = c.alert_id JOIN incidents i ON i.id = c.incident_id JOIN sequences s ON s.incident_id = c.incident_id
         ORDER BY c.id`,
        [picked.map((p) => p.incident_id)],
      );
    });
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
    // Well inside the lease: a hung call must not let the lease lapse and the batch go twice.
    await this.temporal.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => this.temporal.workflow.signalWithStart(playbook.workflowType, {
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
    }));
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

/** An incident's rows together, incidents in the order of their first row. */
function groupByIncident(rows: ClaimedRow[]): ClaimedRow[][] {
  return [...groupBy(rows, (row) => row.incident_id).values()];
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
