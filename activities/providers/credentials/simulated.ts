import {
  Capability,
  type CredentialInfo,
  type CredentialRef,
  type CredentialUsage,
  type ProviderCall,
  type RotationResult,
} from '../../../lib/providers/capabilities';
import type { SimulatedFleet } from '../simulated/fleet';
import { CREDENTIAL_COLUMNS, credentialInfo, requireCredential, shortHash, type SimCredential } from '../simulated/rows';
import type { CredentialsProvider } from './credentials.provider';

/** The simulated credential store: credentials known by fingerprint, never by value. */
export class SimulatedCredentials implements CredentialsProvider {
  constructor(private readonly fleet: SimulatedFleet) {}

  lookup(call: ProviderCall, ref: CredentialRef): Promise<CredentialInfo | null> {
    return this.fleet.read(call, Capability.Credentials, 'lookup', ref.fingerprint, async () => {
      const found = await this.fleet.db.query<SimCredential[]>(`SELECT ${CREDENTIAL_COLUMNS} FROM sim_credentials WHERE fingerprint = $1`, [ref.fingerprint]);
      return found[0] ? credentialInfo(found[0]) : null;
    });
  }

  revoke(call: ProviderCall, credentialId: string, _reason: string): Promise<CredentialInfo> {
    return this.fleet.perform(call, Capability.Credentials, 'revoke', credentialId, async (m) => {
      const credential = await requireCredential(m, credentialId);
      await m.query(`UPDATE sim_credentials SET status = 'revoked', updated_at = now() WHERE id = $1`, [credential.id]);
      return credentialInfo({ ...credential, status: 'revoked' });
    });
  }

  /** Issues `<id>-r<n>` with the same owner, scope and dependents; the old one is revoked and points to it. */
  rotate(call: ProviderCall, credentialId: string): Promise<RotationResult> {
    return this.fleet.perform(call, Capability.Credentials, 'rotate', credentialId, async (m) => {
      const old = await requireCredential(m, credentialId);
      const taken = await m.query<{ id: string }[]>(`SELECT id FROM sim_credentials WHERE id LIKE $1`, [`${old.id}-r%`]);
      let n = 1;
      while (taken.some((t) => t.id === `${old.id}-r${n}`)) n++;
      const newCredentialId = `${old.id}-r${n}`;
      await m.query(
        `INSERT INTO sim_credentials (id, type, fingerprint, last4, owner, shared, scope, dependents, status)
         SELECT $2, type, NULL, $3, owner, shared, scope, dependents, 'active' FROM sim_credentials WHERE id = $1`,
        [old.id, newCredentialId, shortHash(call.idempotencyKey).slice(-4)],
      );
      await m.query(`UPDATE sim_credentials SET status = 'revoked', replaced_by = $2, updated_at = now() WHERE id = $1`, [old.id, newCredentialId]);
      return { credentialId: old.id, newCredentialId, updatedDependents: old.dependents, at: new Date().toISOString() };
    });
  }

  findUsage(call: ProviderCall, credentialId: string, window: { from: string; to: string }): Promise<CredentialUsage[]> {
    return this.fleet.read(call, Capability.Credentials, 'findUsage', credentialId, async () => {
      await requireCredential(this.fleet.db, credentialId);
      const usage = await this.fleet.db.query<(Omit<CredentialUsage, 'at'> & { at: Date })[]>(
        `SELECT at, action, source_ip AS "sourceIp", unusual FROM sim_credential_usage
         WHERE credential_id = $1 AND at >= $2 AND at <= $3 ORDER BY at, id`,
        [credentialId, window.from, window.to],
      );
      return usage.map((u) => ({ ...u, at: u.at.toISOString() }));
    });
  }
}
