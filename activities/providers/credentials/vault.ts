import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { ProviderErrorType, type CredentialInfo, type CredentialRef, type CredentialUsage, type ProviderCall, type RotationResult } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import { field, TokenCache, VendorHttp, withToken, type VendorDeps, type VendorRequest } from '../vendor-http';
import type { CredentialsProvider } from './credentials.provider';

const known = {
  /** Palisade's name for it: the credentialId playbooks see. */
  id: z.string().regex(/^[A-Za-z0-9_.:-]+$/),
  /** Shown as the credential's type; defaults to the kind. */
  type: z.string().min(1).optional(),
  owner: z.string().min(1),
  shared: z.boolean().default(false),
  scope: z.array(z.string()).default([]),
  /** Services that read it from Vault (they get a rotated value on their next read). */
  dependents: z.array(z.string()).default([]),
  /** Keyed fingerprints (lib/intake/redact.ts) known to belong to it, for values Vault cannot show. */
  fingerprints: z.array(z.string().min(1)).default([]),
};

const vaultCredentialSchema = z.discriminatedUnion('kind', [
  /** A field of a KV v2 secret: revoked and rotated by writing a new random value. */
  z.strictObject({ kind: z.literal('kv'), mount: z.string().min(1).default('secret'), path: z.string().min(1), field: z.string().min(1).default('value'), ...known }),
  /** A database static role: Vault changes the password at the database itself. */
  z.strictObject({ kind: z.literal('database-static-role'), mount: z.string().min(1).default('database'), role: z.string().min(1), ...known }),
  /** A dynamic secret's lease: revoking it deletes the credential at its source. Found by configured fingerprints only. */
  z.strictObject({ kind: z.literal('lease'), leaseId: z.string().min(1), ...known }),
]);
type VaultCredential = z.output<typeof vaultCredentialSchema>;

export const vaultConfigSchema = z.strictObject({
  baseUrl: z.url().default('http://127.0.0.1:8200'),
  /** Vault Enterprise / HCP namespace. */
  namespace: z.string().min(1).optional(),
  auth: z.union([
    /** SECRET: a Vault token. */
    z.strictObject({ token: z.string().min(1) }),
    z.strictObject({
      approle: z.strictObject({
        roleId: z.string().min(1),
        /** SECRET: the AppRole's secret id. */
        secretId: z.string().min(1),
        mount: z.string().min(1).default('approle'),
      }),
    }),
  ]),
  credentials: z
    .array(vaultCredentialSchema)
    .default([])
    .refine((list) => new Set(list.map((c) => c.id)).size === list.length, { message: 'credential ids must be unique' }),
  timeoutMs: z.number().int().positive().default(10_000),
});
export type VaultConfig = z.input<typeof vaultConfigSchema>;

/** The keyed fingerprint the webhook door computes (Redactor.fingerprint), injected. */
export type Fingerprint = (value: string) => string;

const VENDOR = 'HashiCorp Vault';

/**
 * Credentials kept in HashiCorp Vault, named in the provider's config. A leaked value is
 * found by fingerprinting the current value of each configured KV field and database static
 * role (or by fingerprints configured for it); Vault keeps no value of dynamic secrets, so a
 * lease is found only by a configured fingerprint. Nothing read from Vault is returned or kept.
 *
 * - KV v2 field: revoke and rotate write a new random value (other fields kept). Vault only
 *   stores it: if it is also a key at another vendor, that vendor must revoke it too.
 * - Database static role: revoke and rotate have Vault change the password at the database.
 * - Lease: revoke ends it (Vault deletes the credential at its source); there is nothing to
 *   rotate, each dependent leases its own.
 */
export class VaultCredentials implements CredentialsProvider {
  private readonly config: z.output<typeof vaultConfigSchema>;
  private readonly http: VendorHttp;
  private readonly tokens: TokenCache;

  constructor(config: VaultConfig, deps: VendorDeps & { fingerprint: Fingerprint }) {
    this.config = vaultConfigSchema.parse(config);
    this.fingerprint = deps.fingerprint;
    const now = deps.now ?? Date.now;
    const auth = this.config.auth;
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: this.config.baseUrl,
      timeoutMs: this.config.timeoutMs,
      fetch: deps.fetch ?? fetch,
      now,
      secrets: () => ['token' in auth ? auth.token : auth.approle.secretId, this.tokens.peek()],
      deniedHint: "The token's policy needs update on sys/leases/revoke, read and create/update on the KV paths and update on <database mount>/rotate-role.",
    });
    this.tokens = new TokenCache(() => ('token' in auth ? Promise.resolve({ token: auth.token, expiresIn: Infinity }) : this.login(auth.approle)), now);
  }

  /** GET /v1/auth/token/lookup-self: the token (or AppRole login) works. */
  async check(): Promise<string> {
    await this.api('look up its own token', { method: 'GET', path: '/v1/auth/token/lookup-self' });
    return `token valid; ${this.config.credentials.length} credential(s) configured`;
  }

  private readonly fingerprint: Fingerprint;

  async lookup(_call: ProviderCall, ref: CredentialRef): Promise<CredentialInfo | null> {
    for (const c of this.config.credentials) {
      const current = await this.currentFingerprint(c);
      if (current === ref.fingerprint) return this.info(c, 'active');
      if (c.fingerprints.includes(ref.fingerprint)) {
        // Known to be this one: a lease is live while open; a stored value once Vault holds another one is not.
        const live = c.kind === 'lease' && (await this.leaseOpen(c.leaseId));
        return this.info(c, live ? 'active' : 'revoked');
      }
    }
    return null;
  }

  async revoke(_call: ProviderCall, credentialId: string, _reason: string): Promise<CredentialInfo> {
    const c = this.credential(credentialId);
    if (c.kind === 'lease') await this.api(`revoke lease of '${c.id}'`, { method: 'PUT', path: '/v1/sys/leases/revoke', json: { lease_id: c.leaseId } });
    else if (c.kind === 'database-static-role') await this.rotateRole(c);
    else await this.writeRandom(c);
    return this.info(c, 'revoked');
  }

  async rotate(_call: ProviderCall, credentialId: string): Promise<RotationResult> {
    const c = this.credential(credentialId);
    const at = new Date().toISOString();
    if (c.kind === 'lease') {
      throw providerError(
        ProviderErrorType.Invalid,
        `'${c.id}' is a Vault lease (a dynamic secret): there is nothing to rotate, each dependent leases a new credential when it next reads from Vault.`,
      );
    }
    if (c.kind === 'database-static-role') {
      await this.rotateRole(c);
      return { credentialId: c.id, newCredentialId: `${c.id}@${at}`, updatedDependents: c.dependents, at };
    }
    const version = await this.writeRandom(c);
    return { credentialId: c.id, newCredentialId: `${c.id}@v${version}`, updatedDependents: c.dependents, at };
  }

  findUsage(_call: ProviderCall, credentialId: string, _window: { from: string; to: string }): Promise<CredentialUsage[]> {
    const c = this.credential(credentialId);
    return Promise.reject(
      providerError(
        ProviderErrorType.Invalid,
        `Vault has no API that says where '${c.id}' was used: its audit device (file, syslog or socket) records each request; search it for the exposure window.`,
      ),
    );
  }

  private credential(id: string): VaultCredential {
    const c = this.config.credentials.find((x) => x.id === id);
    if (!c) throw providerError(ProviderErrorType.NotFound, `No credential '${id}' is configured for the Vault provider.`);
    return c;
  }

  private info(c: VaultCredential, status: CredentialInfo['status']): CredentialInfo {
    return { credentialId: c.id, type: c.type ?? `vault-${c.kind}`, owner: c.owner, shared: c.shared, scope: c.scope, dependents: c.dependents, status };
  }

  /** The fingerprint of the value Vault holds now, or undefined when it holds none to compare. */
  private async currentFingerprint(c: VaultCredential): Promise<string | undefined> {
    if (c.kind === 'lease') return undefined;
    const value = c.kind === 'kv' ? field(await this.readKv(c), c.field) : field(await this.readOptional(`read static role '${c.role}'`, `/v1/${segments(c.mount)}/static-creds/${segments(c.role)}`), 'data', 'password');
    return typeof value === 'string' && value !== '' ? this.fingerprint(value) : undefined;
  }

  /** A KV v2 secret's current data, or undefined when the path has no live version. */
  private async readKv(c: Extract<VaultCredential, { kind: 'kv' }>): Promise<Record<string, unknown> | undefined> {
    const body = await this.readOptional(`read secret '${c.mount}/${c.path}'`, `/v1/${segments(c.mount)}/data/${segments(c.path)}`);
    const data = field(body, 'data', 'data');
    return data && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
  }

  private async readOptional(what: string, path: string): Promise<unknown> {
    return unless(ProviderErrorType.NotFound, async () => (await this.api(what, { method: 'GET', path })).body, undefined);
  }

  /** Writes a new random value into the configured field, keeping the secret's other fields; returns the new version. */
  private async writeRandom(c: Extract<VaultCredential, { kind: 'kv' }>): Promise<number> {
    const data = { ...(await this.readKv(c)), [c.field]: randomBytes(32).toString('base64url') };
    const res = await this.api(`write a new value to '${c.mount}/${c.path}'`, { method: 'POST', path: `/v1/${segments(c.mount)}/data/${segments(c.path)}`, json: { data } });
    return Number(field(res.body, 'data', 'version'));
  }

  private async rotateRole(c: Extract<VaultCredential, { kind: 'database-static-role' }>): Promise<void> {
    await this.api(`rotate static role '${c.role}'`, { method: 'POST', path: `/v1/${segments(c.mount)}/rotate-role/${segments(c.role)}` });
  }

  /** Vault answers 400 "invalid lease" for a lease revoked or expired. */
  private leaseOpen(leaseId: string): Promise<boolean> {
    return unless(ProviderErrorType.Invalid, async () => !!(await this.api('look up a lease', { method: 'PUT', path: '/v1/sys/leases/lookup', json: { lease_id: leaseId } })), false);
  }

  private api(what: string, req: VendorRequest) {
    const ns: Record<string, string> = this.config.namespace ? { 'x-vault-namespace': this.config.namespace } : {};
    // An AppRole token that expired early is answered 403: log in again once. A configured token is not renewed.
    const stale = 'token' in this.config.auth ? 0 : 403;
    return withToken(this.http, this.tokens, what, { ...req, headers: { ...req.headers, ...ns } }, (token) => ({ 'x-vault-token': token }), stale);
  }

  private async login(approle: { roleId: string; secretId: string; mount: string }): Promise<{ token: string; expiresIn: number }> {
    const res = await this.http.send('log in with AppRole', {
      method: 'POST',
      path: `/v1/auth/${segments(approle.mount)}/login`,
      headers: this.config.namespace ? { 'x-vault-namespace': this.config.namespace } : {},
      json: { role_id: approle.roleId, secret_id: approle.secretId },
    });
    const token = field(res.body, 'auth', 'client_token');
    if (typeof token !== 'string' || token === '') throw providerError(ProviderErrorType.Unavailable, `${VENDOR} answered the AppRole login without a client token.`);
    const duration = Number(field(res.body, 'auth', 'lease_duration'));
    // lease_duration 0 means the token does not expire.
    return { token, expiresIn: Number.isFinite(duration) && duration > 0 ? duration : Infinity };
  }
}

/** What `run` returns, or `fallback` when it fails with a provider error of `type`. */
async function unless<T>(type: ProviderErrorType, run: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === type) return fallback;
    throw err;
  }
}

/** A Vault path with each segment encoded. */
function segments(path: string): string {
  return path.split('/').filter(Boolean).map(encodeURIComponent).join('/');
}
