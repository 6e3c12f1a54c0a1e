import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { PalisadeConfig } from '../../../lib/config/env';
import { SOURCES, type Alert, type SourceName } from '../../../lib/intake/alert';
import { inUtc } from '../../../lib/instant';
import { boundedEntity } from '../../../lib/intake/entity-key';
import { Redactor } from '../../../lib/intake/redact';
import { route, type RouteDecision, type Routing } from '../../../lib/intake/routing';
import { suppresses } from '../../../lib/intake/suppressions';
import { PayloadError, type LeakedSecretLookup, type ParseResult, type WebhookRequest } from '../../../lib/intake/source';
import { SOURCE_ADAPTERS } from '../../../lib/intake/sources';
import { withoutSnsLinks } from '../../../lib/intake/sources/aws-envelope';
import { ApiError } from '../common/error.filter';
import { PALISADE_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { SuppressionsService } from '../suppressions/suppressions.service';
import { isDeliveryConflict, storeAlert, storedDelivery, type StoredAlert } from './alert-store';
import { storeBatch } from './batch-store';
import { InboxDispatcher } from './inbox-dispatcher.service';
import { GroupCommit } from './group-commit';
import { REPLAY_MEMORY_S, REPLAYED, verifyWebhook, type ReplayCache } from './auth/verify';
import { pruneReplays, ReplayedRequest } from './replay-claims';
import type { SnsSignatureVerifier } from './auth/sns-signature';
import { LEAKED_SECRETS, REPLAY_CACHE, ROUTING, REDACTOR, SNS_CONFIRMER, SNS_VERIFIER } from './webhooks.tokens';
import type { SnsSubscriptionConfirmer } from './auth/sns-subscriptions';
import { currentTraceparent, inSpan, SpanKind } from '../../../lib/telemetry/tracing';

const SUPPRESSIONS_FILE_LABEL = 'runbooks/suppressions.yaml';

/** One webhook's alerts, with the size of the body they came in. */
interface Delivery {
  alerts: Alert[];
  bytes: number;
  /** A signed request's replay key, claimed with its alerts (replay-claims.ts). */
  replayKey?: string;
  /** The webhook span's W3C traceparent, stored with the inbox rows; null with tracing off. */
  traceparent: string | null;
}

export interface IncomingWebhook {
  source: string;
  rawBody: Buffer;
  contentType: string | undefined;
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
}

export type IntakeAnswer =
  | { status: 202; body: { alertIds: string[]; incidentId: string | null; disposition: StoredAlert['disposition'] } }
  | { status: 202; body: { alertIds: string[]; alerts: StoredAlert[] } }
  | { status: 200; body: { status: 'ok'; message: string } };

/** The front door: prove the sender, understand the body, decide, store, and only then answer. */
@Injectable()
export class IntakeService {
  private readonly log = new Logger('Intake');

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(ROUTING) private readonly routing: Routing,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    @Inject(REPLAY_CACHE) private readonly replays: ReplayCache,
    @Inject(SNS_VERIFIER) private readonly sns: SnsSignatureVerifier,
    @Inject(SNS_CONFIRMER) private readonly snsConfirmer: SnsSubscriptionConfirmer,
    @Inject(LEAKED_SECRETS) private readonly leakedSecrets: LeakedSecretLookup,
    @Inject(SuppressionsService) private readonly suppressions: SuppressionsService,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(InboxDispatcher) private readonly dispatcher: InboxDispatcher,
  ) {}

  async receive(req: IncomingWebhook): Promise<IntakeAnswer> {
    const source = (SOURCES as readonly string[]).includes(req.source) ? req.source : 'unknown';
    const stopTimer = this.metrics.webhookLatency.startTimer({ source });
    // The root of each alert's trace; its traceparent is stored with the inbox rows (lib/telemetry/tracing.ts).
    return inSpan(`webhook ${source}`, { kind: SpanKind.SERVER, attributes: { 'palisade.source': source } }, async (span) => {
      try {
        const answer = await this.accept(req);
        stopTimer({ status: answer.status });
        span.setAttribute('http.response.status_code', answer.status);
        if ('alertIds' in answer.body) span.setAttribute('palisade.alert.ids', answer.body.alertIds);
        return answer;
      } catch (err) {
        const status = err instanceof ApiError ? err.getStatus() : 500;
        stopTimer({ status });
        span.setAttribute('http.response.status_code', status);
        throw err;
      }
    });
  }

  private async accept(req: IncomingWebhook): Promise<IntakeAnswer> {
    const source = this.knownSource(req.source);
    const adapter = SOURCE_ADAPTERS[source];
    this.checkContentType(source, req.contentType);
    const signed = parseJson(req.rawBody);
    const receivedAt = new Date().toISOString();

    const auth = await verifyWebhook(
      { source, scheme: adapter.auth, headers: req.headers, query: req.query, rawBody: req.rawBody, body: signed, now: Math.floor(Date.now() / 1000) },
      this.config.intake.secrets[source],
      { replays: this.replays, sns: this.sns, snsTopicsConfigured: this.config.intake.snsTopicArns.length > 0 },
    );
    if (!auth.ok) throw new ApiError(auth.status ?? HttpStatus.UNAUTHORIZED, auth.code, auth.message, auth.hint);
    // Verified as sent (SNS signs the fields themselves); stored without what Postgres cannot hold.
    const body = withoutNul(signed);

    const request: WebhookRequest = { headers: req.headers, query: req.query, receivedAt };
    let parsed: ParseResult;
    try {
      const ctx = { redactor: this.redactor, receivedAt };
      parsed = adapter.parse(body, request, ctx);
      // What the delivery lacks and the vendor's API knows (GitHub: the leaked secret).
      if (adapter.complete) parsed = await adapter.complete(parsed, body, request, { ...ctx, secrets: this.leakedSecrets });
    } catch (err) {
      if (!(err instanceof PayloadError)) throw err;
      throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_payload', err.message, `Send ${source}'s own webhook format. ${adapter.setupHint}`);
    }
    if (parsed.kind === 'control') {
      if (parsed.subscribeUrl) return this.confirmSubscription(source, parsed.subscribeUrl, parsed.topicArn ?? 'its topic');
      this.log.log(`${source}: ${parsed.message}`);
      return { status: 200, body: { status: 'ok', message: parsed.message } };
    }

    const deliveryId = adapter.deliveryId(body, request) ?? `sha256:${createHash('sha256').update(source).update(req.rawBody).digest('hex')}`;
    // One pass over every alert with every rule, whatever its adapter redacted, before anything stores it.
    if (parsed.error) this.log.error(`${source}: ${parsed.error}`);
    const raw = this.redactor.redactDeep(withoutSnsLinks(body));
    const alerts: Alert[] = parsed.alerts.map((a) => {
      const redacted = this.redactor.redactAlert(a);
      return { ...redacted, observedAt: inUtc(redacted.observedAt), entity: boundedEntity(redacted.entity), id: randomUUID(), source, deliveryId, receivedAt, raw };
    });
    const stored = await this.store({ alerts, bytes: req.rawBody.length, replayKey: auth.replayKey, traceparent: currentTraceparent() });
    for (const s of stored) this.metrics.alertsReceived.inc({ source, disposition: s.disposition });
    if (stored.some((s) => s.incidentId && s.disposition !== 'duplicate')) this.dispatcher.nudge(stored.some((s) => s.disposition === 'started'));
    if (auth.replayKey) this.replays.remember(auth.replayKey, Math.floor(Date.now() / 1000));
    this.log.log(
      `${source} delivery ${deliveryId}: ${stored.map((s) => `${s.disposition}${s.incidentId ? ` ${s.incidentId}` : ''}`).join(', ')}` +
        ` — ${alerts[0]?.title ?? 'no alerts'}`,
    );

    const alertIds = stored.map((s) => s.alertId);
    if (stored.length === 1) {
      const [only] = stored;
      return { status: 202, body: { alertIds, incidentId: only.incidentId, disposition: only.disposition } };
    }
    return { status: 202, body: { alertIds, alerts: stored } };
  }

  /**
   * A verified SubscriptionConfirmation from an allowed topic: confirmed by visiting its
   * SubscribeURL. If Amazon SNS cannot be reached the answer is 502, so SNS sends it again.
   */
  private async confirmSubscription(source: SourceName, subscribeUrl: string, topicArn: string): Promise<IntakeAnswer> {
    const outcome = await this.snsConfirmer.confirm(subscribeUrl);
    if (outcome.kind === 'manual') {
      this.log.warn(`${source}: Amazon SNS asks to confirm the subscription to ${topicArn}; open ${subscribeUrl} to confirm it (PALISADE_SNS_AUTO_CONFIRM=false).`);
      return { status: 200, body: { status: 'ok', message: `Subscription to ${topicArn} awaits confirmation: an operator opens its SubscribeURL.` } };
    }
    if (outcome.kind === 'failed') {
      this.log.error(`${source}: confirming the subscription to ${topicArn} failed: ${outcome.reason}. Open ${subscribeUrl} to confirm it by hand.`);
      throw new ApiError(
        HttpStatus.BAD_GATEWAY,
        'sns_confirmation_failed',
        `The subscription to ${topicArn} could not be confirmed: ${outcome.reason}.`,
        'Amazon SNS retries the confirmation message; or confirm it in the SNS console, or open the SubscribeURL from the log.',
      );
    }
    this.log.log(`${source}: subscription to ${topicArn} confirmed${outcome.subscriptionArn ? ` (${outcome.subscriptionArn})` : ''}.`);
    return { status: 200, body: { status: 'ok', message: `Subscription to ${topicArn} confirmed.` } };
  }

  /** Concurrent deliveries are stored together (see GroupCommit); a lone one on its own. */
  private readonly committer = new GroupCommit<Delivery, StoredAlert[]>((deliveries) => this.flush(deliveries), {
    count: 200,
    // Bounds one flush's statement size: the bodies dominate it.
    bytes: 8 * 1024 * 1024,
    sizeOf: (d) => d.bytes,
  });

  /** Stores a delivery: all its alerts, or none and the sender retries (503); a replay stores nothing (401). */
  private async store(delivery: Delivery): Promise<StoredAlert[]> {
    if (delivery.alerts.length === 0) return [];
    try {
      return await this.committer.submit(delivery);
    } catch (err) {
      if (err instanceof ReplayedRequest) throw new ApiError(HttpStatus.UNAUTHORIZED, 'replayed_request', REPLAYED.message, REPLAYED.hint);
      return this.unavailable(err);
    } finally {
      if (delivery.replayKey) this.pruneClaims();
    }
  }

  private async flush(deliveries: Delivery[]): Promise<PromiseSettledResult<StoredAlert[]>[]> {
    const stopTimer = this.metrics.intakeFlush.startTimer();
    try {
      return await this.flushOnce(deliveries);
    } finally {
      stopTimer();
      this.metrics.intakeFlushDeliveries.observe(deliveries.length);
    }
  }

  private async flushOnce(deliveries: Delivery[]): Promise<PromiseSettledResult<StoredAlert[]>[]> {
    if (deliveries.length > 1) {
      try {
        const items = deliveries.flatMap(({ alerts, traceparent }) =>
          alerts.map((alert, index) => ({ alert, index, decision: this.decide(alert), newIncidentId: randomUUID(), traceparent })),
        );
        const flat = await this.db.transaction((tx) => storeBatch(tx, items, { keys: replayKeys(deliveries), memorySeconds: REPLAY_MEMORY_S }));
        let k = 0;
        return deliveries.map(({ alerts }) => ({ status: 'fulfilled', value: alerts.map(() => flat[k++]) }));
      } catch (err) {
        // A replay among them is refused alone below; anything else is worth a line in the log.
        if (!(err instanceof ReplayedRequest)) this.log.warn(`group commit of ${deliveries.length} deliveries failed, storing each alone: ${(err as Error).message}`);
      }
    }
    // Alone, or after a failed group: one delivery at a time, so one bad delivery fails only itself.
    const settled: PromiseSettledResult<StoredAlert[]>[] = [];
    for (const delivery of deliveries) {
      try {
        settled.push({ status: 'fulfilled', value: await this.storeAlone(delivery) });
      } catch (reason) {
        settled.push({ status: 'rejected', reason });
      }
    }
    return settled;
  }

  private async storeAlone(delivery: Delivery): Promise<StoredAlert[]> {
    try {
      return await this.storeOnce(delivery);
    } catch (err) {
      // A concurrent copy of this delivery (another replica) was stored first: this one is its duplicate.
      if (isDeliveryConflict(err)) return this.storeOnce(delivery);
      throw err;
    }
  }

  private async storeOnce({ alerts, replayKey, traceparent }: Delivery): Promise<StoredAlert[]> {
    const items = alerts.map((alert, index) => ({ alert, index, decision: this.decide(alert), newIncidentId: randomUUID(), traceparent }));
    const [first] = items;
    const simple = first.decision.kind === 'ignore' || (first.decision.reopenWithinSeconds === 0 && first.decision.dedupeWithinSeconds === 0);
    // A signed request's replay claim, several alerts, or one that may reopen an incident or re-fire a detection commit together;
    // one alert alone is one statement.
    if (replayKey || items.length > 1 || !simple) {
      return this.db.transaction((tx) => storeBatch(tx, items, { keys: replayKey ? [replayKey] : [], memorySeconds: REPLAY_MEMORY_S }));
    }
    const prior = (await storedDelivery(this.db.manager, first.alert)).get(0);
    return [prior ?? (await storeAlert(this.db.manager, first.alert, 0, first.decision, first.newIncidentId, traceparent))];
  }

  private lastPrune = 0;

  /** Stale replay claims go at most once a minute, off the request's path. */
  private pruneClaims(): void {
    if (Date.now() - this.lastPrune < 60_000) return;
    this.lastPrune = Date.now();
    pruneReplays(this.db).catch((err: Error) => this.log.warn(`forgetting stale replay claims failed (retried in a minute): ${err.message}`));
  }

  private unavailable(err: unknown): never {
    this.log.error(`storing alerts failed: ${(err as Error).message}`);
    throw new ApiError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'storage_unavailable',
      'The alert could not be stored, so it was not accepted.',
      'Retry after a few seconds (see Retry-After); nothing from this delivery was kept.',
    );
  }

  /** Routing's decision, with runbooks/suppressions.yaml applied (API windows are checked in SQL). */
  private decide(alert: Alert): RouteDecision {
    const decision = route(this.routing, alert);
    if (decision.kind === 'playbook' && suppresses(this.suppressions.fromFile, [decision.entityKey, alert.entity.key])) {
      return { kind: 'ignore', rule: `suppression window (${SUPPRESSIONS_FILE_LABEL})` };
    }
    return decision;
  }

  private knownSource(name: string): SourceName {
    if ((SOURCES as readonly string[]).includes(name)) return name as SourceName;
    throw new ApiError(HttpStatus.NOT_FOUND, 'unknown_source', `There is no webhook source '${name}'.`, `Known sources: ${SOURCES.join(', ')}.`);
  }

  private checkContentType(source: SourceName, contentType: string | undefined): void {
    const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
    // Amazon SNS posts its JSON envelope as text/plain.
    const accepted = type === 'application/json' || type.endsWith('+json') || (type === 'text/plain' && (source === 'guardduty' || source === 'securityhub'));
    if (!accepted) {
      throw new ApiError(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'unsupported_content_type',
        `Content-Type '${contentType ?? '(none)'}' is not accepted.`,
        'Send the alert as JSON with Content-Type: application/json.',
      );
    }
  }
}

function replayKeys(deliveries: Delivery[]): string[] {
  return deliveries.flatMap((d) => (d.replayKey ? [d.replayKey] : []));
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) {
    throw new ApiError(HttpStatus.BAD_REQUEST, 'empty_body', 'The request has no body.', 'Send the alert as a JSON body.');
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    throw new ApiError(HttpStatus.BAD_REQUEST, 'malformed_json', `The body is not valid JSON: ${(err as Error).message}.`, 'Send the alert as a JSON body.');
  }
}

/**
 * The body with every U+0000 in its strings and keys replaced by U+FFFD: Postgres text and
 * jsonb cannot hold it, and an alert that carries one (a binary's argv, say) is still an alert
 * to store, not a reason to answer 503 for ever. Applied once the sender is verified.
 */
function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
  // A body without U+0000 (nearly every one) is returned as it is, not copied (the door's profile, issue 22).
  if (Array.isArray(value)) {
    const out = value.map(withoutNul);
    return out.some((v, i) => v !== value[i]) ? out : value;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const out = entries.map(([k, v]): [string, unknown] => [k.includes('\u0000') ? k.replaceAll('\u0000', '\uFFFD') : k, withoutNul(v)]);
    return out.some(([k, v], i) => k !== entries[i][0] || v !== entries[i][1]) ? Object.fromEntries(out) : value;
  }
  return value;
}
