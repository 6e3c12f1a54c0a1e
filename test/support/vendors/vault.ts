import { randomBytes } from 'node:crypto';
import { IssuedTokens, json, LoopbackVendor, Reply, type RecordedRequest, type VendorReply } from './loopback';

interface KvVersion {
  data: Record<string, unknown>;
  created: string;
}

/**
 * HashiCorp Vault on loopback: AppRole login, lease lookup and revoke, KV v2 read and write
 * (versioned), database static roles (read credentials, rotate). Every other request needs
 * `X-Vault-Token`: the root token or one issued by the AppRole login (until it expires).
 */
export class FakeVault extends LoopbackVendor {
  readonly kv = new Map<string, KvVersion[]>();
  readonly staticRoles = new Map<string, { username: string; password: string; lastRotation: string }>();
  readonly leases = new Map<string, 'open' | 'revoked'>();
  readonly approleTokens = new IssuedTokens(3600);

  constructor(
    readonly rootToken = 'hvs.root-0123456789abcdefghij',
    readonly roleId = 'palisade-role',
    readonly secretId = 'approle-secret-0123456789abcdef',
  ) {
    super();
  }

  /** The current value of a KV v2 secret (`mount/path`). */
  current(key: string): Record<string, unknown> | undefined {
    return this.kv.get(key)?.at(-1)?.data;
  }

  putKv(key: string, data: Record<string, unknown>): void {
    const versions = this.kv.get(key) ?? [];
    versions.push({ data, created: new Date().toISOString() });
    this.kv.set(key, versions);
  }

  addStaticRole(key: string, username: string, password: string): void {
    this.staticRoles.set(key, { username, password, lastRotation: new Date().toISOString() });
  }

  protected isToken(r: RecordedRequest): boolean {
    return /^\/v1\/auth\/[^/]+\/login$/.test(r.path);
  }

  protected errorBody(_status: number, message: string): unknown {
    return { errors: [message] };
  }

  protected throttleHeaders(): Record<string, string> {
    return { 'retry-after': '1' };
  }

  protected handle(r: RecordedRequest): VendorReply {
    const login = /^\/v1\/auth\/([^/]+)\/login$/.exec(r.path);
    if (login && r.method === 'POST') return this.login(r);
    const token = r.headers['x-vault-token'];
    if (token !== this.rootToken && !this.approleTokens.valid(typeof token === 'string' ? token : undefined)) deny();
    const body = json(r) ?? {};
    if (r.path === '/v1/sys/leases/revoke' && (r.method === 'PUT' || r.method === 'POST')) {
      if (!this.leases.has(body.lease_id)) invalid('invalid lease ID');
      this.leases.set(body.lease_id, 'revoked');
      return { status: 204 };
    }
    if (r.path === '/v1/sys/leases/lookup' && (r.method === 'PUT' || r.method === 'POST')) {
      if (this.leases.get(body.lease_id) !== 'open') invalid('invalid lease');
      return { status: 200, body: { data: { id: body.lease_id, renewable: true, ttl: 3000, expire_time: new Date(Date.now() + 3_000_000).toISOString() } } };
    }
    const kv = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(r.path);
    if (kv) return this.kvRequest(r, `${kv[1]}/${decodeURIComponent(kv[2])}`, body);
    const role = /^\/v1\/([^/]+)\/(static-creds|rotate-role)\/([^/]+)$/.exec(r.path);
    if (role) return this.roleRequest(r, role[2], `${role[1]}/${decodeURIComponent(role[3])}`);
    throw new Reply({ status: 404, body: { errors: [] } });
  }

  private login(r: RecordedRequest): VendorReply {
    const body = json(r) ?? {};
    if (body.role_id !== this.roleId || body.secret_id !== this.secretId) invalid('invalid role or secret ID');
    return {
      status: 200,
      body: { auth: { client_token: this.approleTokens.issue(), lease_duration: this.approleTokens.expiresIn, renewable: true, policies: ['palisade'] } },
    };
  }

  private kvRequest(r: RecordedRequest, key: string, body: any): VendorReply {
    if (r.method === 'GET') {
      const versions = this.kv.get(key);
      if (!versions?.length) throw new Reply({ status: 404, body: { errors: [] } });
      const v = versions.at(-1)!;
      return { status: 200, body: { data: { data: v.data, metadata: { version: versions.length, created_time: v.created, deletion_time: '', destroyed: false } } } };
    }
    if (r.method === 'POST' || r.method === 'PUT') {
      if (!body.data || typeof body.data !== 'object') invalid('no data provided');
      this.putKv(key, body.data);
      const versions = this.kv.get(key)!;
      return { status: 200, body: { data: { version: versions.length, created_time: versions.at(-1)!.created, deletion_time: '', destroyed: false } } };
    }
    throw new Reply({ status: 405, body: { errors: [] } });
  }

  private roleRequest(r: RecordedRequest, op: string, key: string): VendorReply {
    const role = this.staticRoles.get(key);
    if (!role) throw new Reply({ status: 404, body: { errors: [`unknown role: ${key}`] } });
    if (op === 'static-creds' && r.method === 'GET') {
      return { status: 200, body: { data: { username: role.username, password: role.password, last_vault_rotation: role.lastRotation, rotation_period: 86400, ttl: 80000 } } };
    }
    if (op === 'rotate-role' && (r.method === 'POST' || r.method === 'PUT')) {
      role.password = randomBytes(18).toString('base64url');
      role.lastRotation = new Date().toISOString();
      return { status: 204 };
    }
    throw new Reply({ status: 405, body: { errors: [] } });
  }
}

function deny(): never {
  throw new Reply({ status: 403, body: { errors: ['permission denied'] } });
}

function invalid(message: string): never {
  throw new Reply({ status: 400, body: { errors: [message] } });
}
