import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { simulatedFleetMetrics } from './fleet-exporter';

/**
 * The simulated fleet as the `simulated` vendor keeps it (sim_* tables): what drills and game
 * days act on, shown so a responder can see what a playbook changed. Read only here: game
 * days add hosts and inject faults through fleet-setup.controller.ts (admin).
 */
type Row = Record<string, unknown>;

@Injectable()
export class FleetService {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async overview() {
    const [hosts, credentials, accounts, resources, faults, recent] = await Promise.all([
      this.db.query<Row[]>(
        `SELECT id, hostname, owner, environment, criticality, tags, isolated, online, image, patches, replaced_by AS "replacedBy", updated_at AS "updatedAt"
         FROM sim_hosts ORDER BY id`,
      ),
      // Fingerprints are keyed hashes, not secrets; a prefix is enough to tell them apart.
      this.db.query<Row[]>(
        `SELECT id, type, left(fingerprint, 12) AS "fingerprintPrefix", last4, owner, shared, scope, dependents, status, replaced_by AS "replacedBy", updated_at AS "updatedAt"
         FROM sim_credentials ORDER BY id`,
      ),
      this.db.query<Row[]>(
        `SELECT id, display_name AS "displayName", owner, privileged, groups, mfa, status, password, password_reset_at AS "passwordResetAt", sessions,
           sessions_revoked_before AS "sessionsRevokedBefore", keys, updated_at AS "updatedAt"
         FROM sim_accounts ORDER BY id`,
      ),
      this.db.query<Row[]>(
        `SELECT id, kind, quarantined, baseline = current AS "matchesBaseline", updated_at AS "updatedAt" FROM sim_resources ORDER BY id`,
      ),
      this.db.query<Row[]>(
        `SELECT capability, action, target, error_rate AS "errorRate", latency_ms AS "latencyMs", timeout, offline, throttle, fail_next AS "failNext"
         FROM sim_faults ORDER BY capability, action, target`,
      ),
      this.db.query<Row[]>(
        `SELECT idempotency_key AS "idempotencyKey", capability, action, target, outcome, at FROM sim_calls ORDER BY id DESC LIMIT 50`,
      ),
    ]);
    return { hosts, credentials, accounts, resources, faults, recentCalls: recent };
  }

  /** The simulated SLIs in Prometheus text format (see fleet-exporter.ts). */
  metrics(): Promise<string> {
    return simulatedFleetMetrics(this.db);
  }
}
