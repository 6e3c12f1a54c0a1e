import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Alert } from '../../../lib/intake/alert';
import { toOcsfDetectionFinding, type OcsfDetectionFinding } from '../../../lib/intake/ocsf';
import { ApiError } from '../common/error.filter';
import { isUuid } from '../common/openapi/schemas';

interface AlertRow {
  id: string;
  source: Alert['source'];
  delivery_id: string;
  received_at: Date;
  observed_at: Date;
  title: string;
  description: string;
  severity: Alert['severity'];
  severity_original: string;
  category: Alert['category'];
  entity_kind: Alert['entity']['kind'];
  entity_key: string;
  entity_display: string;
  fingerprint: string;
  labels: Record<string, string>;
  secrets: NonNullable<Alert['secrets']>;
  raw: unknown;
  rule: string | null;
  playbook: string | null;
  incident_id: string | null;
  disposition: string;
}

export type StoredAlertView = Alert & { rule: string | null; playbook: string | null; incidentId: string | null; disposition: string };

@Injectable()
export class AlertsService {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async get(id: string): Promise<StoredAlertView> {
    if (!isUuid(id)) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_alert_id', `'${id}' is not an alert id.`, 'Alert ids are UUIDs, as answered by POST /webhooks/:source.');
    }
    const [row] = await this.db.query<AlertRow[]>(`SELECT * FROM alerts WHERE id = $1`, [id]);
    if (!row) throw new ApiError(HttpStatus.NOT_FOUND, 'alert_not_found', `No alert ${id}.`, 'Check the id; alert ids are answered by POST /webhooks/:source.');
    return {
      id: row.id,
      source: row.source,
      deliveryId: row.delivery_id,
      receivedAt: row.received_at.toISOString(),
      observedAt: row.observed_at.toISOString(),
      title: row.title,
      description: row.description,
      severity: row.severity,
      severityOriginal: row.severity_original,
      category: row.category,
      entity: { kind: row.entity_kind, key: row.entity_key, display: row.entity_display },
      fingerprint: row.fingerprint,
      labels: row.labels,
      secrets: row.secrets,
      raw: row.raw,
      rule: row.rule,
      playbook: row.playbook,
      incidentId: row.incident_id,
      disposition: row.disposition,
    };
  }

  async getOcsf(id: string): Promise<OcsfDetectionFinding> {
    return toOcsfDetectionFinding(await this.get(id));
  }
}
