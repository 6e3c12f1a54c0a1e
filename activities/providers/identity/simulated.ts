import {
  Capability,
  type AccountInfo,
  type AccountStatusChange,
  type CredentialReset,
  type KeysDeactivated,
  type ProviderCall,
  type SessionRevocation,
  unknownAccount,
} from '../../../lib/providers/capabilities';
import type { SimulatedFleet } from '../simulated/fleet';
import { accountInfo, findAccount, requireAccount } from '../simulated/rows';
import type { IdentityProvider } from './identity.provider';

/** The simulated directory (sim_accounts): accounts with sessions, keys and a password that drills really change. */
export class SimulatedIdentity implements IdentityProvider {
  constructor(private readonly fleet: SimulatedFleet) {}

  lookupAccount(call: ProviderCall, accountId: string): Promise<AccountInfo> {
    return this.fleet.read(call, Capability.Identity, 'lookupAccount', accountId, async () => {
      const found = await findAccount(this.fleet.db, accountId);
      return found ? accountInfo(found) : unknownAccount(accountId, 'the simulated directory');
    });
  }

  revokeSessions(call: ProviderCall, accountId: string, _reason: string): Promise<SessionRevocation> {
    return this.fleet.perform(call, Capability.Identity, 'revokeSessions', accountId, async (m) => {
      await requireAccount(m, accountId);
      const at = new Date().toISOString();
      await m.query(`UPDATE sim_accounts SET sessions = 0, sessions_revoked_before = $2, updated_at = now() WHERE id = $1`, [accountId, at]);
      return { accountId, revokedBefore: at, method: 'simulated: every session and refresh token ended', at };
    });
  }

  deactivateKeys(call: ProviderCall, accountId: string, _reason: string): Promise<KeysDeactivated> {
    return this.fleet.perform(call, Capability.Identity, 'deactivateKeys', accountId, async (m) => {
      const account = await requireAccount(m, accountId);
      const deactivated = account.keys.filter((k) => k.status === 'active').map((k) => k.id);
      const keys = account.keys.map((k) => ({ ...k, status: 'inactive' }));
      await m.query(`UPDATE sim_accounts SET keys = $2::jsonb, updated_at = now() WHERE id = $1`, [accountId, JSON.stringify(keys)]);
      return { accountId, deactivated, at: new Date().toISOString() };
    });
  }

  disable(call: ProviderCall, accountId: string, _reason: string): Promise<AccountStatusChange> {
    return this.setStatus(call, 'disable', accountId, 'disabled', 'simulated: sign-in blocked');
  }

  enable(call: ProviderCall, accountId: string, _reason: string): Promise<AccountStatusChange> {
    return this.setStatus(call, 'enable', accountId, 'enabled', 'simulated: sign-in allowed again');
  }

  forceCredentialReset(call: ProviderCall, accountId: string, _reason: string): Promise<CredentialReset> {
    return this.fleet.perform(call, Capability.Identity, 'forceCredentialReset', accountId, async (m) => {
      const account = await requireAccount(m, accountId);
      const at = new Date().toISOString();
      if (!account.password) return { accountId, reset: false, method: 'no password to reset', at };
      await m.query(`UPDATE sim_accounts SET password_reset_at = $2, updated_at = now() WHERE id = $1`, [accountId, at]);
      return { accountId, reset: true, method: 'simulated: password replaced by a random one, to be set at the next sign-in', at };
    });
  }

  private setStatus(call: ProviderCall, action: string, accountId: string, status: 'enabled' | 'disabled', method: string): Promise<AccountStatusChange> {
    return this.fleet.perform(call, Capability.Identity, action, accountId, async (m) => {
      await requireAccount(m, accountId);
      await m.query(`UPDATE sim_accounts SET status = $2, updated_at = now() WHERE id = $1`, [accountId, status]);
      return { accountId, status, method, at: new Date().toISOString() };
    });
  }
}
