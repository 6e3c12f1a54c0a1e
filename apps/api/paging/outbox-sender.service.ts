import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import { DataSource } from 'typeorm';
import type { PagingProvider } from '../../../activities/providers/paging/paging.provider';
import type { PostedMessage, SlackIncidentPost } from '../../../activities/providers/chat/slack-post';
import type { TicketingProvider, TicketRef } from '../../../activities/providers/ticketing/ticketing.provider';
import type { PalisadeConfig } from '../../../lib/config/env';
import { describeError } from '../../../lib/errors';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { PALISADE_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { humanDuration } from '../../../lib/duration';
import { actionItemOfRef } from '../../../lib/postmortem/review';
import { claimOutbox, deadLetter, fallBack, markSent, outboxDepth, retryLater, type OutboxDepth, type OutboxRow } from './outbox-store';
import { RateWindow } from './rate-window';

export const PAGING_VENDORS = Symbol('PAGING_VENDORS');
export interface PagingVendors {
  /** vendors.paging in runbooks/providers.yaml: the vendor of a channel that names none. */
  paging: PagingProvider | null;
  /** Every paging vendor a page may go through, by name (the default and each `via` of runbooks/paging.yaml). */
  pagers: ReadonlyMap<string, PagingProvider>;
  ticketing: TicketingProvider | null;
  /** The incident's Slack post (a policy's `post:`): present when Slack is connected. */
  chat: SlackIncidentPost | null;
}

const BATCH = 20;
const IDLE_MS = 200;
const MAX_BACKOFF_MS = 5 * 60_000;
/** PagerDuty's documented Events API limit is about 120 events a minute per integration key. */
const PAGES_PER_MINUTE = 120;

/** What became of one row. */
type Outcome = { kind: 'sent' } | { kind: 'later'; delayMs: number; error: string; ours?: true } | { kind: 'refused'; error: string };

/**
 * Delivers the paging outbox (lib/db/paging-outbox.ts) to the page and ticket vendors, the
 * way the inbox dispatcher delivers alerts to Temporal: rows leased (a sender that dies leaves
 * them to the next), one incident and vendor in order, throttling and outages retried with
 * backoff for as long as they last (a page is late, never dropped), a refusal (bad request,
 * bad credentials) set aside and put on the incident's timeline. A page or ticket is on the
 * timeline as sent only once the vendor accepted it, with its id and link.
 */
@Injectable()
export class OutboxSender implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('PagingOutbox');
  private readonly rate = new RateWindow(PAGES_PER_MINUTE, 60_000);
  private running = false;
  private loop: Promise<void> | undefined;
  private interrupt: (() => void) | undefined;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(PAGING_VENDORS) private readonly vendors: PagingVendors,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    let depth: Promise<OutboxDepth> | undefined;
    const read = () => (depth ??= outboxDepth(this.db).finally(() => setTimeout(() => (depth = undefined), 1_000)));
    metrics.gauge('palisade_paging_outbox_pending', 'Page and ticket notices not yet accepted by their vendor.', async () => (await read()).pending);
    metrics.gauge('palisade_paging_outbox_oldest_age_seconds', 'Age of the oldest notice waiting for its vendor.', async () => (await read()).oldestAgeSeconds);
    metrics.gauge('palisade_paging_outbox_dead_letters', 'Notices a vendor refused for good (on the incident timeline as notice.failed).', async () => (await read()).deadLetters);
  }

  onApplicationBootstrap(): void {
    if (this.vendors.pagers.size === 0 && !this.vendors.ticketing && !this.vendors.chat) return; // nothing is ever queued
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.interrupt?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      let n = 0;
      try {
        n = await this.drainOnce();
        backoff = 0;
      } catch (err) {
        backoff = Math.min(5_000, backoff ? backoff * 2 : 250);
        this.log.warn(`paging outbox round failed, retrying in ${backoff} ms: ${describeError(err)}`);
      }
      if (backoff > 0 || n === 0) await this.sleep(backoff || IDLE_MS);
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

  /** One round: claims due rows and delivers them side by side (each incident and vendor's rows are one at a time by the claim). */
  async drainOnce(): Promise<number> {
    const rows = await claimOutbox(this.db, randomUUID(), BATCH);
    await Promise.all(rows.map((row) => this.deliverOne(row)));
    return rows.length;
  }

  private async deliverOne(row: OutboxRow): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.deliver(row);
    } catch (err) {
      outcome = classify(err, row.attempts);
    }
    if (outcome.kind !== 'sent' && (await this.fallBack(row, outcome))) return;
    if (outcome.kind === 'later') {
      await retryLater(this.db, row, outcome.delayMs, outcome.error);
      if (row.attempts === 1 || row.attempts % 10 === 0) this.log.warn(`${row.vendor} ${row.action} for incident ${row.incidentId} not delivered yet (attempt ${row.attempts}): ${outcome.error}`);
    } else if (outcome.kind === 'refused') {
      this.log.error(`${row.vendor} refused ${row.action} for incident ${row.incidentId}: ${outcome.error}`);
      await deadLetter(this.db, row, outcome.error, {
        summary: `${{ page: 'Page', ticket: 'Ticket', chat: 'Slack post' }[row.kind]} ${row.action} refused by ${row.vendor}: ${outcome.error}`,
        data: { error: outcome.error },
      });
    }
  }

  /**
   * A page's channel is given up for the next one the policy names when the vendor refused the
   * trigger (a bad event, key or service: 400, 401, 403, 404), or has not accepted it within the
   * channel's fallbackAfter while it answered 429, 5xx or nothing (our own rate limit aside).
   * The last channel is never given up: retried for as long as the outage lasts, or refused.
   */
  private async fallBack(row: OutboxRow, outcome: Exclude<Outcome, { kind: 'sent' }>): Promise<boolean> {
    if (row.kind !== 'page' || row.action !== 'open' || row.fallbackAfterMs === null) return false;
    const waited = Date.now() - new Date(row.createdAt).getTime();
    if (outcome.kind === 'later' && (outcome.ours || waited < row.fallbackAfterMs)) return false;
    const how = outcome.kind === 'refused' ? 'refused' : 'down';
    const done = await fallBack(this.db, row, how, outcome.error, (next, closed) => {
      const what =
        how === 'refused'
          ? `${row.vendor} refused the page to ${row.target}: ${outcome.error}`
          : `${row.vendor} did not accept the page to ${row.target} within ${humanDuration(row.fallbackAfterMs!)} (last: ${outcome.error}); given up`;
      return `${what}; ${next ? `falling back to ${next.vendor} ${next.target}` : `the incident is ${closed}: nobody else is paged`}`;
    });
    if (done === 'handled') this.log.warn(`${row.vendor} page to ${row.target} for incident ${row.incidentId} ${how}: falling back to the next channel`);
    return done === 'handled';
  }

  private async deliver(row: OutboxRow): Promise<Outcome> {
    if (row.kind === 'chat') return this.deliverPost(row);
    return row.kind === 'page' ? this.deliverPage(row) : this.deliverTicket(row);
  }

  /**
   * The incident's Slack post: posted once (its channel id and ts kept as the notice's external
   * id), then on each milestone its text updated with the incident's status and the milestone
   * replied in its thread. Never two posts: the notice is marked `posting` before the post is
   * sent, and an attempt that finds that mark without a recorded message first looks for the
   * post in the channel (its metadata names the incident) and adopts it.
   */
  private async deliverPost(row: OutboxRow): Promise<Outcome> {
    const slack = this.vendors.chat;
    if (!slack) return { kind: 'refused', error: 'Slack is not connected (SLACK_BOT_TOKEN, README "Connect Slack")' };
    let message = postedMessage(row);
    const text = this.postText(row);
    const open = row.status !== 'resolved' && row.status !== 'cancelled';
    if (row.action === 'open' && !message) {
      if (row.noticeStatus === 'posting') {
        const found = await slack.find(row.target, row.incidentId, new Date(row.createdAt));
        if (found === 'unknown') this.log.warn(`the Slack post for incident ${row.incidentId} may have been made already (its answer was lost) and the channel cannot be read (scope channels:history): posting again`);
        else if (found) message = found;
      }
      if (message) await slack.update(message, row.incidentId, text, open);
      else {
        await this.db.query(`UPDATE paging_notices SET status = 'posting', updated_at = now() WHERE incident_id = $1 AND vendor = $2 AND channel = $3 AND ref = $4 AND external_id IS NULL`, [
          row.incidentId,
          row.vendor,
          row.channel,
          row.ref,
        ]);
        message = await slack.post(row.target, row.incidentId, text, open);
      }
      const permalink = await slack.permalink(message);
      await markSent(this.db, row, { status: 'posted', externalId: `${message.channel}/${message.ts}`, externalUrl: permalink ?? undefined }, {
        type: 'notice.sent',
        summary: `Posted the incident to ${row.target} in Slack${permalink ? ` (${permalink})` : ''}`,
        data: { channel: message.channel, ts: message.ts, url: permalink },
      });
      return { kind: 'sent' };
    }
    if (!message) return { kind: 'refused', error: 'the incident was never posted to Slack (its post was refused)' };
    const milestone = this.milestone(row);
    await slack.update(message, row.incidentId, text, open);
    await slack.reply(message, milestone);
    const status = row.action === 'resolve' ? 'resolved' : row.action === 'acknowledge' ? 'acknowledged' : 'posted';
    await markSent(this.db, row, { status }, { type: 'notice.sent', summary: `Slack post in ${row.target} updated: ${milestone}`, data: { channel: message.channel, ts: message.ts } });
    return { kind: 'sent' };
  }

  /** The post's text: the incident as it stands now. */
  private postText(row: OutboxRow): string {
    const entity = row.entity ? ` on ${row.entity}` : '';
    return `[${row.severity}] ${row.title}${entity}: ${row.status} · ${row.alertCount} alert${row.alertCount === 1 ? '' : 's'} · ${row.playbook} · <${this.link(row)}|incident ${row.incidentId}>`;
  }

  /** A milestone's line in the post's thread. */
  private milestone(row: OutboxRow): string {
    const at = str(row.detail.at, new Date().toISOString());
    switch (row.action) {
      case 'acknowledge':
        return `Acknowledged by ${str(row.detail.by, 'a responder')} at ${at}`;
      case 'comment':
        return `${capitalised(str(row.detail.milestone, 'updated'))} at ${at}`;
      case 'resolve':
        return `${capitalised(str(row.detail.status, 'resolved'))} at ${at}. Postmortem: ${this.config.publicUrl}/incidents/${row.incidentId}/postmortem`;
      default:
        return `Reopened: new alerts (${row.alertCount} so far)`;
    }
  }

  private async deliverPage(row: OutboxRow): Promise<Outcome> {
    const vendor = this.vendors.pagers.get(row.vendor);
    if (!vendor) return { kind: 'refused', error: `paging vendor '${row.vendor}' is not configured (vendors.paging in runbooks/providers.yaml, settings.${row.vendor})` };
    if (row.action === 'comment') return this.sentQuietly(row);
    const wait = this.rate.take(row.target);
    if (wait > 0) return { kind: 'later', delayMs: wait, error: `holding back: ${PAGES_PER_MINUTE} events a minute to '${row.target}' already`, ours: true };
    const action = row.action === 'open' ? 'trigger' : row.action;
    // The stuck alarm (lib/db/stuck-page.ts) is a page of its own: its own dedup key, its own words.
    const stuck = row.ref.startsWith('stuck:') ? (row.detail.stuck as { reason?: string; build?: string | null } | undefined) : undefined;
    const receipt = await vendor.send({
      action,
      dedupKey: row.ref.startsWith('stuck:') ? `${row.incidentId}:${row.ref}` : row.incidentId,
      service: row.target,
      summary: stuck ? `[stuck] ${row.title}: its playbook is stuck${stuck.build ? ` on build ${stuck.build}` : ''} (${stuck.reason ?? 'its workflow task keeps failing'})` : `[${row.severity}] ${row.title}`,
      source: row.entity ?? 'palisade',
      severity: row.severity,
      link: this.link(row),
      details: { incidentId: row.incidentId, playbook: row.playbook, alerts: row.alertCount, entity: row.entity },
    });
    const why = pageReason(row.ref, action);
    const did = { trigger: `Paged ${row.target} through ${row.vendor}${why}`, acknowledge: `Acknowledged the ${row.vendor} page${why}`, resolve: `Resolved the ${row.vendor} page${why}` }[action];
    const status = { trigger: 'triggered', acknowledge: 'acknowledged', resolve: 'resolved' }[action];
    await markSent(this.db, row, { status, externalId: receipt.dedupKey }, {
      type: 'notice.sent',
      summary: `${did} (dedup key ${receipt.dedupKey}; ${receipt.message})`,
      data: { dedupKey: receipt.dedupKey, alerts: row.alertCount },
    });
    return { kind: 'sent' };
  }

  private async deliverTicket(row: OutboxRow): Promise<Outcome> {
    const vendor = this.vendors.ticketing;
    if (!vendor) return { kind: 'refused', error: 'no ticketing vendor is configured (vendors.ticketing in runbooks/providers.yaml)' };
    if (row.action === 'acknowledge') return this.sentQuietly(row);
    if (row.action === 'open') {
      const item = actionItemOf(row);
      const { ticket, created } = await vendor.open(
        item
          ? {
              // Its own label (palisade-incident-<id>-action-<n>), so it is found again apart from the incident's ticket.
              incidentId: `${row.incidentId}-action-${item.id}`,
              project: row.target,
              summary: item.title,
              severity: row.severity,
              lines: [`Action item ${item.id} of the postmortem of Palisade incident ${row.incidentId}: ${row.title}.`, `Owner: ${item.owner}. Due: ${item.due}.`],
              link: `${this.config.publicUrl}/postmortems/${row.incidentId}`,
            }
          : {
              incidentId: row.incidentId,
              project: row.target,
              summary: `[${row.severity}] ${row.title}`,
              severity: row.severity,
              lines: [`Palisade incident ${row.incidentId} (${row.playbook}), severity ${row.severity}.`, row.entity ? `Entity: ${row.entity}.` : '', `Alerts so far: ${row.alertCount}.`],
              link: this.link(row),
            },
      );
      await markSent(this.db, row, { status: 'open', externalId: ticket.key, externalUrl: ticket.url }, {
        type: 'notice.sent',
        summary: `${created ? 'Opened' : 'Found'} ticket ${ticket.key} in ${row.target}${item ? ` for action item ${item.id} (${item.owner})` : ''} (${ticket.url})`,
        data: { ticket: ticket.key, url: ticket.url, created, ...(item ? { actionItem: item.id } : {}) },
      });
      return { kind: 'sent' };
    }
    const ref = ticketRef(row);
    if (!ref) return { kind: 'refused', error: 'the ticket was never opened (its open notice was refused)' };
    if (row.action === 'comment') {
      await vendor.comment(ref, `Palisade: incident ${str(row.detail.milestone, 'updated')} at ${str(row.detail.at, new Date().toISOString())}.`, this.link(row));
      await markSent(this.db, row, { status: 'open' }, { type: 'notice.sent', summary: `Commented on ${ref.key}: ${str(row.detail.milestone, 'update')}`, data: { ticket: ref.key } });
      return { kind: 'sent' };
    }
    const how = str(row.detail.status, 'resolved');
    await vendor.close(ref, `Palisade: incident ${how}. Postmortem: ${this.config.publicUrl}/incidents/${row.incidentId}/postmortem`, this.link(row));
    await markSent(this.db, row, { status: 'done' }, { type: 'notice.sent', summary: `Closed ticket ${ref.key} (incident ${how})`, data: { ticket: ref.key } });
    return { kind: 'sent' };
  }

  /** Nothing for this vendor to hear (a milestone on a page): done. */
  private async sentQuietly(row: OutboxRow): Promise<Outcome> {
    await this.db.query(`UPDATE paging_outbox SET sent_at = now(), claimed_until = NULL WHERE id = $1 AND lease = $2`, [row.id, row.lease]);
    return { kind: 'sent' };
  }

  private link(row: OutboxRow): string {
    return `${this.config.publicUrl}/incidents/${row.incidentId}`;
  }
}

function str(value: unknown, otherwise: string): string {
  return typeof value === 'string' ? value : otherwise;
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The Slack message a notice recorded (`<channel id>/<ts>`), or null before it was posted. */
function postedMessage(row: OutboxRow): PostedMessage | null {
  const [channel, ts] = row.externalId?.split('/') ?? [];
  return channel && ts ? { channel, ts } : null;
}

/** The postmortem action item an outbox row opens a ticket for (lib/db/action-item-tickets.ts), or null. */
function actionItemOf(row: OutboxRow): { id: number; title: string; owner: string; due: string } | null {
  if (actionItemOfRef(row.ref) === null) return null;
  const item = row.detail.actionItem as { id: number; title: string; owner: string; due: string } | undefined;
  return item ?? null;
}

function ticketRef(row: OutboxRow): TicketRef | null {
  if (!row.externalId) return null;
  return { id: row.externalId, key: row.externalId, url: row.externalUrl ?? '' };
}

/** A vendor's failure: throttled and unavailable come back later (backoff), the rest is refused for good. */
function classify(err: unknown, attempts: number): Outcome {
  const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(attempts - 1, 16));
  if (err instanceof ApplicationFailure) {
    if (err.type === ProviderErrorType.Throttled) {
      const after = (err.details?.[0] as { retryAfterMs?: number } | undefined)?.retryAfterMs;
      return { kind: 'later', delayMs: Math.max(after ?? 0, backoff), error: err.message };
    }
    if (err.type === ProviderErrorType.Unavailable || err.type === ProviderErrorType.AgentOffline) return { kind: 'later', delayMs: backoff, error: err.message };
    return { kind: 'refused', error: `${err.type ?? 'error'}: ${err.message}` };
  }
  return { kind: 'later', delayMs: backoff, error: describeError(err) };
}

/** What a page was for, from its outbox ref: an approval's escalation tier, a missed SLA target, a stuck playbook. */
function pageReason(ref: string, action: 'trigger' | 'acknowledge' | 'resolve'): string {
  const escalation = /^escalation:(.+):(\d+)$/.exec(ref);
  if (escalation) return ` for the escalation of gate ${escalation[1]} (tier ${escalation[2]})`;
  const sla = /^sla:(.+)$/.exec(ref);
  if (sla) return ` for the missed ${sla[1]} target (SLA)`;
  if (ref.startsWith('stuck:')) return action === 'resolve' ? ' for the stuck playbook: it moves again, the alarm is cleared' : ' for the stuck playbook';
  return '';
}
