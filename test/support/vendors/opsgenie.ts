import { randomUUID } from 'node:crypto';
import { json, LoopbackVendor, Reply, type RecordedRequest, type VendorReply } from './loopback';

export interface OpsgenieAlert {
  id: string;
  tinyId: string;
  alias: string;
  message: string;
  status: 'open' | 'closed';
  acknowledged: boolean;
  /** Creates deduplicated into this alert (the first made it). */
  count: number;
  priority: string;
  responders: unknown[];
  tags: string[];
  details: Record<string, string>;
  /** Who acknowledged / closed it (the action's `user`). */
  acknowledgedBy?: string;
  closedBy?: string;
}

interface RequestStatus {
  action: 'Create' | 'Acknowledge' | 'Close';
  isSuccess: boolean;
  status: string;
  alertId: string;
  alias: string;
  processedAt: string;
  /** GETs still answered 404 "not processed yet" before this one is shown. */
  hiddenFor: number;
}

const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'];
const RESPONDER_TYPES = ['team', 'user', 'escalation', 'schedule'];

/**
 * Opsgenie's Alert API on loopback (see SOURCES.md), optionally under a base path as Jira Service
 * Management Operations serves it (`/jsm/ops/integration`): `Authorization: GenieKey <key>`;
 * POST /v2/alerts, POST /v2/alerts/{identifier}/acknowledge|close (`identifierType=alias`) all
 * answer 202 {result, took, requestId} and are processed asynchronously; GET
 * /v2/alerts/requests/{requestId} → 200 {data: {success, action, processedAt, integrationId,
 * isSuccess, status, alertId, alias}} once processed, 404 until then; GET /v2/alerts (list).
 * An open alert's alias deduplicates a create into it (its count goes up). Errors as
 * {message, took, requestId}; a 429 carries X-RateLimit-State / -Reason / -Period-In-Sec.
 * `processingPolls` hides each new request's status for that many GETs; `loseNextCreateAnswer`
 * processes a create and never answers it.
 */
export class FakeOpsgenie extends LoopbackVendor {
  readonly alerts: OpsgenieAlert[] = [];
  private readonly statuses = new Map<string, RequestStatus>();
  processingPolls = 0;
  loseNextCreateAnswer = false;

  constructor(
    readonly apiKey = 'eb243592-faa2-4ba2-a551-1afdf565c889',
    readonly basePath = '',
  ) {
    super();
  }

  /** The base URL a client is given (with the base path, as JSM Operations has one). */
  get baseUrl(): string {
    return `${this.url}${this.basePath}`;
  }

  byAlias(alias: string): OpsgenieAlert | undefined {
    return this.alerts.filter((a) => a.alias === alias).at(-1);
  }

  /** Create requests received (accepted or not). */
  creates(): RecordedRequest[] {
    return this.calls('POST', `${this.basePath}/v2/alerts`).filter((r) => r.path === `${this.basePath}/v2/alerts`);
  }

  /**
   * The body an outgoing webhook integration posts for an alert action (Atlassian's "Alert action
   * data": action, alert {alertId, message, tags, tinyId, alias, createdAt, updatedAt, username,
   * userId, entity, source}, source {name, type}, integrationId, integrationName).
   */
  webhookBody(action: 'Acknowledge' | 'Close' | 'AddNote' | 'Create', alias: string, username = 'dana@example.com'): string {
    const alert = this.byAlias(alias);
    return JSON.stringify({
      source: { name: '', type: 'web' },
      alert: {
        updatedAt: Date.now() * 1_000_000,
        tags: alert?.tags ?? [],
        message: alert?.message ?? 'alert',
        username,
        alertId: alert?.id ?? randomUUID(),
        source: 'Palisade',
        alias,
        tinyId: alert?.tinyId ?? '1',
        createdAt: Date.now(),
        userId: 'daed1180-0ce8-438b-8f8e-57e1a5920a2d',
        entity: '',
      },
      action,
      integrationId: '37c8f316-17c6-49d7-899b-9c7e540c048d',
      integrationName: 'Palisade',
    });
  }

  protected isToken(): boolean {
    return false;
  }

  protected errorBody(_status: number, message: string): unknown {
    return { message, took: 0.001, requestId: randomUUID() };
  }

  protected throttleHeaders(): Record<string, string> {
    return { 'x-ratelimit-state': 'THROTTLED', 'x-ratelimit-reason': 'INTEGRATION', 'x-ratelimit-period-in-sec': '1' };
  }

  protected handle(r: RecordedRequest): VendorReply | Promise<VendorReply> {
    if (!r.path.startsWith(`${this.basePath}/v2/alerts`)) throw new Reply({ status: 404, body: this.errorBody(404, 'Not found') });
    if (r.headers.authorization !== `GenieKey ${this.apiKey}`) throw new Reply({ status: 401, body: this.errorBody(401, 'Could not authenticate') });
    const p = r.path.slice(this.basePath.length);
    if (r.method === 'GET' && p === '/v2/alerts') {
      const limit = Number(r.query.get('limit') ?? 20);
      return { status: 200, body: { data: this.alerts.slice(0, limit).map((a) => ({ id: a.id, tinyId: a.tinyId, alias: a.alias, message: a.message, status: a.status })), took: 0.01, requestId: randomUUID() } };
    }
    const req = /^\/v2\/alerts\/requests\/([^/]+)$/.exec(p);
    if (r.method === 'GET' && req) return this.requestStatus(decodeURIComponent(req[1]));
    if (r.method === 'POST' && p === '/v2/alerts') return this.create(r);
    const action = /^\/v2\/alerts\/([^/]+)\/(acknowledge|close)$/.exec(p);
    if (r.method === 'POST' && action) return this.act(decodeURIComponent(action[1]), action[2] as 'acknowledge' | 'close', r);
    throw new Reply({ status: 404, body: this.errorBody(404, 'Not found') });
  }

  private create(r: RecordedRequest): VendorReply | Promise<VendorReply> {
    const body = json(r) ?? {};
    const errors: Record<string, string> = {};
    if (typeof body.message !== 'string' || body.message.length === 0) errors.message = 'Message can not be empty.';
    else if (body.message.length > 130) errors.message = 'Message can not be longer than 130 characters.';
    if (body.alias !== undefined && (typeof body.alias !== 'string' || body.alias.length > 512)) errors.alias = 'Alias can not be longer than 512 characters.';
    if (body.priority !== undefined && !PRIORITIES.includes(body.priority)) errors.priority = 'Priority should be one of [P1, P2, P3, P4, P5]';
    for (const responder of body.responders ?? []) if (!RESPONDER_TYPES.includes(responder?.type)) errors.responders = 'Responder type is not valid.';
    if (body.details !== undefined && Object.values(body.details as object).some((v) => typeof v !== 'string')) errors.details = 'Details values must be strings.';
    if (Object.keys(errors).length > 0) return { status: 422, body: { message: 'Request body is not processable. Please check the errors.', errors, took: 0.001, requestId: randomUUID() } };

    const alias: string = body.alias ?? randomUUID();
    let alert = this.alerts.find((a) => a.alias === alias && a.status === 'open');
    if (alert) alert.count++;
    else {
      alert = {
        id: randomUUID(),
        tinyId: String(this.alerts.length + 1),
        alias,
        message: body.message,
        status: 'open',
        acknowledged: false,
        count: 1,
        priority: body.priority ?? 'P3',
        responders: body.responders ?? [],
        tags: body.tags ?? [],
        details: body.details ?? {},
      };
      this.alerts.push(alert);
    }
    const accepted = this.accepted({ action: 'Create', isSuccess: true, status: alert.count > 1 ? 'Alert is deduplicated' : 'Created alert', alertId: alert.id, alias });
    if (this.loseNextCreateAnswer) {
      this.loseNextCreateAnswer = false;
      return new Promise<VendorReply>(() => undefined); // processed, never answered
    }
    return accepted;
  }

  private act(identifier: string, action: 'acknowledge' | 'close', r: RecordedRequest): VendorReply {
    const type = r.query.get('identifierType') ?? 'id';
    if (!['id', 'alias', 'tiny'].includes(type)) return { status: 422, body: { message: 'identifierType should be one of id, alias or tiny', took: 0.001, requestId: randomUUID() } };
    const alert = this.alerts.filter((a) => (type === 'alias' ? a.alias : type === 'tiny' ? a.tinyId : a.id) === identifier).at(-1);
    const user = (json(r) ?? {}).user as string | undefined;
    const name = action === 'acknowledge' ? 'Acknowledge' : 'Close';
    if (!alert) return this.accepted({ action: name, isSuccess: false, status: 'Alert does not exist', alertId: '', alias: type === 'alias' ? identifier : '' });
    if (action === 'acknowledge') {
      alert.acknowledged = true;
      alert.acknowledgedBy = user;
    } else {
      alert.status = 'closed';
      alert.closedBy = user;
    }
    return this.accepted({ action: name, isSuccess: true, status: action === 'acknowledge' ? 'Acknowledged' : 'Closed', alertId: alert.id, alias: alert.alias });
  }

  private accepted(status: Omit<RequestStatus, 'processedAt' | 'hiddenFor'>): VendorReply {
    const requestId = randomUUID();
    this.statuses.set(requestId, { ...status, processedAt: new Date().toISOString(), hiddenFor: this.processingPolls });
    return { status: 202, body: { result: 'Request will be processed', took: 0.002, requestId } };
  }

  private requestStatus(requestId: string): VendorReply {
    const s = this.statuses.get(requestId);
    if (!s || s.hiddenFor > 0) {
      if (s) s.hiddenFor--;
      return { status: 404, body: { message: 'Request not found. It might not be processed, yet.', took: 0.001, requestId: randomUUID() } };
    }
    const { hiddenFor: _hidden, ...data } = s;
    return { status: 200, body: { data: { success: s.isSuccess, ...data, integrationId: 'c9cec2cb-e782-4ebb-bc1d-1b2fa703cf03' }, took: 0.02, requestId: randomUUID() } };
  }
}
