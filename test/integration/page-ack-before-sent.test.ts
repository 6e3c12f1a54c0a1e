import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { claimOutbox, markSent } from '../../apps/api/paging/outbox-store';
import { recordPageEvent } from '../../apps/api/paging/page-acknowledgement';
import { ownDatabase } from '../support/database';

// A pager's acknowledgement can reach Palisade before the sender has recorded the page as sent:
// PagerDuty accepted the trigger, a responder acknowledged it at once, and the sender's own write
// (markSent) came after. The acknowledgement was then kept only on the timeline and the incident:
// the page's row never said who acknowledged it (the postmortem's "Pages and tickets" table showed
// nobody; paging.test.ts failed that way under load), and the sender's write set it back to
// "triggered".
describe('a page acknowledged before its sender recorded it as sent', () => {
  const database = ownDatabase('page_ack');

  it('keeps who acknowledged it, and the sender does not set it back to triggered', async () => {
    const db = database();
    const incidentId = randomUUID();
    await db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
       VALUES ($1, $2, 'Ack me', 'high', 'open', 'triage', '0.1.0', 'host:ack', now())`,
      [incidentId, `triage:host:ack:${incidentId.slice(0, 8)}`],
    );
    await db.query(`INSERT INTO paging_notices (incident_id, vendor, kind, target, policy, channel, status) VALUES ($1, 'pagerduty', 'page', 'secops-oncall', 'high', 0, 'pending')`, [incidentId]);
    await db.query(`INSERT INTO paging_outbox (key, incident_id, vendor, channel, ref, action, generation, detail) VALUES ($1, $2, 'pagerduty', 0, '', 'open', 1, '{}')`, [`${incidentId}:open`, incidentId]);
    const [row] = await claimOutbox(db, randomUUID(), 10);
    expect(row).toMatchObject({ incidentId, vendor: 'pagerduty', action: 'open' });

    // The vendor has the page (its acknowledgement says so) before markSent runs.
    const outcome = await recordPageEvent(db, {
      vendor: 'pagerduty',
      vendorName: 'PagerDuty',
      kind: 'acknowledged',
      incidentKey: incidentId,
      eventType: 'incident.acknowledged',
      eventId: 'ev-1',
      who: 'Dana Oncall',
      at: new Date().toISOString(),
      url: null,
      data: {},
    });
    expect(outcome).toMatchObject({ recorded: true, incidentId });
    expect(await markSent(db, row, { status: 'triggered', externalId: 'PD-1' }, { type: 'notice.sent', summary: 'Paged secops-oncall through PagerDuty', data: {} })).toBe(true);

    const [notice] = await db.query<{ status: string; acknowledged_by: string | null; sent_at: Date | null; external_id: string | null }[]>(
      `SELECT status, acknowledged_by, sent_at, external_id FROM paging_notices WHERE incident_id = $1`,
      [incidentId],
    );
    expect(notice).toMatchObject({ status: 'acknowledged', acknowledged_by: 'Dana Oncall', external_id: 'PD-1' });
    expect(notice.sent_at).toBeInstanceOf(Date);
  }, 60_000);
});
