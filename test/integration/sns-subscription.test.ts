import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Agent, buildConnector, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StripSnsLinks1764560000000 } from '../../lib/db/migrations/1764560000000-strip-sns-links';
import { getJson, startTestEngine, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { CERT_URL, makeTestPki, signSns, snsConfirmation, snsNotification, TOPIC, type TestPki } from '../support/sns';
import { post } from '../support/webhooks';

/**
 * Amazon SNS over HTTP, end to end: a loopback HTTPS server stands in for
 * sns.us-east-1.amazonaws.com (certificate from a test CA, which PALISADE_SNS_CA_FILE trusts
 * for signing certificates); the engine's requests to that host are connected to it.
 */
describe('Amazon SNS deliveries to /webhooks/guardduty', () => {
  let pki: TestPki;
  let sns: Server;
  let engine: TestEngine;
  let previous: Dispatcher;
  const requests: string[] = [];
  let confirmStatus = 200;

  beforeAll(async () => {
    pki = makeTestPki();
    sns = createServer({ key: pki.leafKey, cert: pki.leaf }, (req, res) => {
      requests.push(req.url ?? '');
      if (req.url === new URL(CERT_URL).pathname) return res.end(pki.leaf);
      if (req.url?.startsWith('/?Action=ConfirmSubscription')) {
        res.statusCode = confirmStatus;
        return res.end(
          confirmStatus === 200
            ? `<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>${TOPIC}:5f1b</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>`
            : '<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>',
        );
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => sns.listen(0, '127.0.0.1', resolve));
    const { port } = sns.address() as AddressInfo;
    const tls = buildConnector({ ca: pki.ca });
    previous = getGlobalDispatcher();
    setGlobalDispatcher(
      new Agent({
        connect: (opts, done) =>
          opts.hostname === 'sns.us-east-1.amazonaws.com'
            ? tls({ ...opts, hostname: '127.0.0.1', port: String(port), servername: opts.hostname }, done)
            : tls(opts, done),
      }),
    );
    const caFile = path.join(pki.dir, 'trust-store.pem');
    writeFileSync(caFile, pki.ca);
    engine = await startTestEngine({ withWorker: false, env: { ...TRIAGE_ROUTING, PALISADE_SNS_TOPIC_ARNS: TOPIC, PALISADE_SNS_CA_FILE: caFile } });
  });
  afterAll(async () => {
    await engine?.close();
    if (previous) setGlobalDispatcher(previous);
    sns?.close();
    pki?.remove();
  });

  const deliver = (message: Record<string, string>) =>
    post(`${engine.baseUrl}/webhooks/guardduty`, JSON.stringify(message), { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': message.Type });

  it('confirms a verified subscription by visiting its SubscribeURL, and says so when SNS fails', async () => {
    const now = new Date().toISOString();
    confirmStatus = 500;
    const failed = await deliver(signSns(snsConfirmation('SubscriptionConfirmation', now), '2', pki.leafKey));
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ error: 'sns_confirmation_failed', message: expect.stringContaining('HTTP 500 (InternalFailure)') });

    confirmStatus = 200;
    const confirmed = await deliver(signSns(snsConfirmation('SubscriptionConfirmation', now), '2', pki.leafKey));
    expect(confirmed).toMatchObject({ status: 200, body: { status: 'ok', message: `Subscription to ${TOPIC} confirmed.` } });
    expect(requests.filter((r) => r.startsWith('/?Action=ConfirmSubscription'))).toHaveLength(2);
    // The certificate was fetched once, over TLS, from the SNS host.
    expect(requests.filter((r) => r.endsWith('.pem'))).toHaveLength(1);
  });

  it('does not visit the SubscribeURL of a message whose signature fails', async () => {
    const before = requests.length;
    const forged = { ...signSns(snsConfirmation('SubscriptionConfirmation', new Date().toISOString()), '2', pki.leafKey), Token: 'changed' };
    const answer = await deliver(forged);
    expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_sns_signature' } });
    expect(requests.slice(before).filter((r) => r.startsWith('/?Action'))).toEqual([]);
  });

  it('turns a signed GuardDuty notification into an incident', async () => {
    const event = readFileSync('test/fixtures/webhooks/guardduty/ssh-brute-force.json', 'utf8');
    const message = { ...snsNotification('GuardDuty finding', event), MessageId: crypto.randomUUID(), Timestamp: new Date().toISOString() };
    const answer = await deliver(signSns(message, '1', pki.leafKey));
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ disposition: 'started', incidentId: expect.any(String) });
    const again = await deliver(signSns(message, '1', pki.leafKey));
    expect(again.body).toMatchObject({ disposition: 'duplicate', incidentId: (answer.body as { incidentId: string }).incidentId });
  });

  it('keeps the SNS message but not the envelope\'s SubscribeURL or UnsubscribeURL, and redacts the Message as JSON', async () => {
    const event = JSON.parse(readFileSync('test/fixtures/webhooks/guardduty/ssh-brute-force.json', 'utf8')) as { detail: { service: Record<string, unknown> } };
    event.detail.service.additionalInfo = { db_password: 'gd-secret-7781', note: 'kept' };
    const message = { ...snsNotification('GuardDuty finding', JSON.stringify(event)), MessageId: crypto.randomUUID(), Timestamp: new Date().toISOString() };
    const answer = await deliver(signSns(message, '2', pki.leafKey));
    expect(answer.status).toBe(202);
    const alert = await getJson(`${engine.baseUrl}/alerts/${(answer.body as { alertIds: string[] }).alertIds[0]}`);
    expect(alert.status).toBe(200);
    const raw = JSON.stringify(alert.body.raw);
    expect(raw).not.toContain('Action=Unsubscribe');
    expect(alert.body.raw).not.toHaveProperty('UnsubscribeURL');
    expect(raw).not.toContain('gd-secret-7781');
    // The message itself is kept, as JSON text, with what is not secret.
    expect(JSON.parse(alert.body.raw.Message as string)).toMatchObject({ detail: { service: { additionalInfo: { note: 'kept' } } } });
  });

  it('opens an incident for an UnsubscribeConfirmation from an allowed topic, with the topic as its entity', async () => {
    const unsubscribed = signSns({ ...snsConfirmation('UnsubscribeConfirmation', new Date().toISOString()), MessageId: crypto.randomUUID() }, '2', pki.leafKey);
    const answer = await deliver(unsubscribed);
    expect(answer).toMatchObject({ status: 202, body: { disposition: 'started', incidentId: expect.any(String) } });
    const incident = await getJson(`${engine.baseUrl}/incidents/${(answer.body as { incidentId: string }).incidentId}`);
    expect(incident.body).toMatchObject({ entity: `resource:${TOPIC}`, severity: 'high', title: expect.stringContaining(TOPIC) });
    const alert = await getJson(`${engine.baseUrl}/alerts/${(answer.body as { alertIds: string[] }).alertIds[0]}`);
    expect(alert.body).toMatchObject({ entity: { kind: 'resource', key: TOPIC }, labels: { snsMessageType: 'UnsubscribeConfirmation', topicArn: TOPIC } });
    expect(alert.body.raw).not.toHaveProperty('SubscribeURL');
    // SNS retries the same message: the same incident, nothing new.
    expect(await deliver(unsubscribed)).toMatchObject({ status: 202, body: { disposition: 'duplicate' } });
  });

  it('strips the SNS links from alerts stored before this release', async () => {
    const id = crypto.randomUUID();
    const envelope = { Type: 'Notification', Message: '{}', UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:1`, TopicArn: TOPIC };
    await engine.db.query(
      `INSERT INTO alerts (id, source, delivery_id, delivery_index, received_at, observed_at, title, description, severity, severity_original, category,
         entity_kind, entity_key, entity_display, fingerprint, labels, secrets, raw, rule, disposition)
       VALUES ($1::uuid, 'guardduty', $1::text, 0, now(), now(), 't', '', 'low', 'low', 'other', 'host', 'h', 'h', 'f', '{}', '[]', $2::jsonb, 'r', 'suppressed')`,
      [id, JSON.stringify(envelope)],
    );
    const runner = engine.db.createQueryRunner();
    try {
      await new StripSnsLinks1764560000000().up(runner);
    } finally {
      await runner.release();
    }
    const [row] = await engine.db.query<{ raw: Record<string, unknown> }[]>(`SELECT raw FROM alerts WHERE id = $1`, [id]);
    expect(row.raw).toEqual({ Type: 'Notification', Message: '{}', TopicArn: TOPIC });
  });
});
