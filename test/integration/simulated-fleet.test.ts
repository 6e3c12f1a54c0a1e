import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProviders } from '../../activities/providers/registry';
import type { Providers } from '../../activities/providers/provider.activities';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { Capability, ProviderErrorType } from '../../lib/providers/capabilities';
import { loadProvidersConfig } from '../../lib/providers/providers-file';
import { ownDatabase } from '../support/database';
import { failure } from '../support/failures';

const root = path.resolve(__dirname, '../..');
const call = (key: string = randomUUID()) => ({ idempotencyKey: key, incidentId: 'inc-sim' });
const uid = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;


// Faults are fleet-wide, so this file gets a database of its own: its faults never reach other files' playbooks.
describe('the simulated fleet', () => {
  const database = ownDatabase('sim', 4);
  let db: DataSource;
  let fleet: SimulatedFleet;
  let p: Providers;
  beforeAll(() => {
    db = database();
    ({ providers: p, fleet } = createProviders(loadProvidersConfig(path.join(root, 'runbooks/providers.yaml')), { db }));
  });
  afterEach(async () => fleet.clearFaults());

  it('applies a changing action once per idempotency key, even when calls race', async () => {
    const host = uid('web');
    await fleet.addHost({ id: host, environment: 'production' });
    const c = call();
    const [first, ...others] = await Promise.all([1, 2, 3].map(() => p.hostIsolation.isolate(c, host, 'drill')));
    expect(first).toMatchObject({ hostId: host, isolated: true, method: 'simulated EDR network containment' });
    for (const other of others) expect(other).toEqual(first);
    expect(await fleet.actions({ idempotencyKey: c.idempotencyKey })).toHaveLength(1);
    expect((await fleet.calls({ idempotencyKey: c.idempotencyKey })).map((x) => x.outcome).sort()).toEqual(['applied', 'replayed', 'replayed']);
    expect((await fleet.host(host))?.isolated).toBe(true);

    const reused = await failure(p.hostIsolation.release(c, host, 'oops'));
    expect(reused).toMatchObject({ type: ProviderErrorType.Invalid, nonRetryable: true });
    expect((await fleet.host(host))?.isolated).toBe(true);
  });

  it('injects each fault kind as a typed ApplicationFailure with the right retryability', async () => {
    const host = uid('web');
    await fleet.addHost({ id: host });
    const cases = [
      { fault: { offline: true }, type: ProviderErrorType.AgentOffline },
      { fault: { throttle: true }, type: ProviderErrorType.Throttled },
      { fault: { errorRate: 1 }, type: ProviderErrorType.Unavailable },
    ];
    for (const { fault, type } of cases) {
      await fleet.setFault(Capability.HostIsolation, fault);
      const c = call();
      const err = await failure(p.hostIsolation.isolate(c, host, 'drill'));
      expect(err).toMatchObject({ type, nonRetryable: false });
      expect((await fleet.calls({ idempotencyKey: c.idempotencyKey })).map((x) => x.outcome)).toEqual([`fault:${type}`]);
      if (type === ProviderErrorType.Throttled) expect(err.details).toEqual([{ retryAfterMs: 1000 }]);
    }
    expect((await fleet.host(host))?.isolated).toBe(false);
    expect(await fleet.actions({ target: host })).toEqual([]);

    // An action's own fault leaves the capability's other actions alone.
    await fleet.clearFaults();
    await fleet.setFault(Capability.HostIsolation, { action: 'release', offline: true });
    await expect(p.hostIsolation.isolate(call(), host, 'drill')).resolves.toMatchObject({ isolated: true });
    expect((await failure(p.hostIsolation.release(call(), host, 'drill'))).type).toBe(ProviderErrorType.AgentOffline);
    // ...and a target's own fault leaves the other targets alone.
    const other = uid('web');
    await fleet.setFault(Capability.Evidence, { target: host, throttle: true });
    expect((await failure(p.evidence.snapshotDisks(call(), host))).type).toBe(ProviderErrorType.Throttled);
    await expect(p.evidence.snapshotDisks(call(), other)).resolves.toMatchObject({ hostId: other });

    const notFound = await failure(p.configBaseline.readCurrent(call(), uid('nope')));
    expect(notFound).toMatchObject({ type: ProviderErrorType.NotFound, nonRetryable: true });
  });

  it('counts fail_next down, then lets calls through', async () => {
    await fleet.setFault(Capability.Inventory, { action: 'lookupHost', failNext: 2 });
    const c = call();
    for (let i = 0; i < 2; i++) expect((await failure(p.inventory.lookupHost(c, 'any'))).type).toBe(ProviderErrorType.Unavailable);
    await expect(p.inventory.lookupHost(c, 'any')).resolves.toMatchObject({ known: false });
    expect((await fleet.calls({ idempotencyKey: c.idempotencyKey })).map((x) => x.outcome)).toEqual(['fault:Unavailable', 'fault:Unavailable', 'read']);
  });

  it('adds latency, and hangs on a timeout fault until it gives up', async () => {
    await fleet.setFault(Capability.Metrics, { latencyMs: 80 });
    const started = Date.now();
    await p.metrics.query(call(), { sli: uid('sli') });
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);

    const impatient = new SimulatedFleet(db, { hangMs: 50 });
    await fleet.setFault(Capability.Metrics, { timeout: true });
    const c = call();
    const err = await failure(impatient.read(c, Capability.Metrics, 'query', 'x', async () => 1));
    expect(err.type).toBe(ProviderErrorType.Unavailable);
    expect((await fleet.calls({ idempotencyKey: c.idempotencyKey })).map((x) => x.outcome)).toEqual(['fault:Timeout']);
  });

  it('looks unknown hosts up without enrolling them, and enrolls them on first action', async () => {
    const stranger = uid('siem-host');
    expect(await p.inventory.lookupHost(call(), stranger)).toMatchObject({ hostId: stranger, known: false, environment: 'unknown', criticality: 'high' });
    expect(await fleet.host(stranger)).toBeUndefined();

    const evidence = await p.evidence.snapshotDisks(call(), stranger);
    expect(evidence.artifacts).toEqual([expect.stringMatching(/^snap-[0-9a-f]{10}$/)]);
    expect(await p.inventory.lookupHost(call(), stranger)).toMatchObject({ known: true, owner: 'unknown', environment: 'unknown', criticality: 'high' });

    const named = uid('laptop');
    await fleet.addHost({ id: named, hostname: `${named}.corp`, owner: 'alice', environment: 'development', criticality: 'low', online: false });
    expect(await p.inventory.lookupHost(call(), `${named}.corp`)).toMatchObject({ hostId: named, owner: 'alice', known: true });
    expect((await failure(p.hostIsolation.verify(call(), named))).type).toBe(ProviderErrorType.AgentOffline);
    expect((await failure(p.evidence.collectVolatile(call(), `${named}.corp`))).type).toBe(ProviderErrorType.AgentOffline);
    expect((await p.inventory.listHosts(call(), { hostIds: [named, stranger] })).map((h) => h.hostId).sort()).toEqual([named, stranger].sort());
  });

  it('replaces a host from an image', async () => {
    const host = uid('web');
    await fleet.addHost({ id: host, owner: 'team-web', environment: 'production', tags: { role: 'web' } });
    await p.hostIsolation.isolate(call(), host, 'compromised');
    const replaced = await p.hostIsolation.replace(call(), host, 'web-2026.11');
    expect(replaced).toMatchObject({ hostId: host, replacementId: `${host}-r1`, image: 'web-2026.11' });
    expect(await fleet.host(host)).toMatchObject({ replacedBy: `${host}-r1`, isolated: true });
    expect(await fleet.host(`${host}-r1`)).toMatchObject({ isolated: false, image: 'web-2026.11', owner: 'team-web', tags: { role: 'web' } });
  });

  it('revokes, rotates and reports the use of credentials', async () => {
    const id = uid('aws-key');
    const fingerprint = randomUUID().replace(/-/g, '').padEnd(64, '0');
    await fleet.addCredential({ id, type: 'aws_access_key_id', fingerprint, last4: 'Q7XA', dependents: ['deployer'] });
    await fleet.addCredentialUsage(id, { at: '2026-11-21T03:47:00Z', action: 'iam:ListUsers', sourceIp: '185.220.101.7', unusual: true });
    await fleet.addCredentialUsage(id, { at: '2026-10-01T00:00:00Z', action: 'old', sourceIp: '10.0.0.1' });

    expect(await p.credentials.lookup(call(), { type: 'aws_access_key_id', fingerprint, last4: 'Q7XA' })).toMatchObject({ credentialId: id, status: 'active' });
    expect(await p.credentials.lookup(call(), { type: 'aws_access_key_id', fingerprint: 'f'.repeat(64), last4: 'zzzz' })).toBeNull();
    const usage = await p.credentials.findUsage(call(), id, { from: '2026-11-20T00:00:00Z', to: '2026-11-22T00:00:00Z' });
    expect(usage).toEqual([{ at: '2026-11-21T03:47:00.000Z', action: 'iam:ListUsers', sourceIp: '185.220.101.7', unusual: true }]);

    const rotated = await p.credentials.rotate(call(), id);
    expect(rotated).toMatchObject({ credentialId: id, newCredentialId: `${id}-r1`, updatedDependents: ['deployer'] });
    expect(await fleet.credential(id)).toMatchObject({ status: 'revoked', replacedBy: `${id}-r1` });
    expect(await fleet.credential(`${id}-r1`)).toMatchObject({ status: 'active', dependents: ['deployer'] });
    expect(await p.credentials.revoke(call(), `${id}-r1`, 'drill')).toMatchObject({ status: 'revoked' });
  });

  it('looks accounts up, and revokes, deactivates, disables, re-enables and resets them once per key', async () => {
    const id = uid('alice');
    await fleet.addAccount({
      id,
      displayName: 'Alice Martin',
      owner: 'bob',
      privileged: true,
      groups: ['admins'],
      mfa: 'disabled',
      lastSignIn: '2026-11-21T03:40:00Z',
      sessions: 3,
      keys: [{ id: 'AKIASIM1' }, { id: 'AKIASIM2', status: 'inactive' }],
    });
    expect(await p.identity.lookupAccount(call(), id)).toEqual({
      accountId: id,
      displayName: 'Alice Martin',
      owner: 'bob',
      privileged: true,
      privilegedBy: ['privileged in the simulated directory'],
      groups: ['admins'],
      policies: [],
      mfa: 'disabled',
      lastSignIn: '2026-11-21T03:40:00.000Z',
      status: 'enabled',
      known: true,
    });
    const stranger = uid('mallory');
    expect(await p.identity.lookupAccount(call(), stranger)).toMatchObject({ accountId: stranger, known: false, privileged: true, owner: 'unknown' });
    expect(await fleet.account(stranger)).toBeUndefined();

    const revoke = call();
    const revoked = await p.identity.revokeSessions(revoke, id, 'takeover');
    expect(await p.identity.revokeSessions(revoke, id, 'retried')).toEqual(revoked);
    const afterRevoke = await fleet.account(id);
    expect(afterRevoke).toMatchObject({ sessions: 0 });
    expect(afterRevoke?.sessionsRevokedBefore?.toISOString()).toBe(revoked.revokedBefore);

    const keys = call();
    expect(await p.identity.deactivateKeys(keys, id, 'takeover')).toMatchObject({ accountId: id, deactivated: ['AKIASIM1'] });
    expect(await p.identity.deactivateKeys(keys, id, 'retried')).toMatchObject({ deactivated: ['AKIASIM1'] });
    expect((await fleet.account(id))?.keys).toEqual([{ id: 'AKIASIM1', status: 'inactive' }, { id: 'AKIASIM2', status: 'inactive' }]);
    expect(await p.identity.deactivateKeys(call(), id, 'again')).toMatchObject({ deactivated: [] });

    const disable = call();
    expect(await p.identity.disable(disable, id, 'takeover')).toMatchObject({ status: 'disabled' });
    expect(await p.identity.lookupAccount(call(), id)).toMatchObject({ status: 'disabled' });
    const enable = call();
    expect(await p.identity.enable(enable, id, 'cancelled')).toMatchObject({ status: 'enabled' });
    // The disable retried after the compensation ran replays its answer and changes nothing.
    expect(await p.identity.disable(disable, id, 'retried')).toMatchObject({ status: 'disabled' });
    expect(await fleet.account(id)).toMatchObject({ status: 'enabled' });

    const reset = await p.identity.forceCredentialReset(call(), id, 'takeover');
    expect(reset).toMatchObject({ accountId: id, reset: true });
    expect((await fleet.account(id))?.passwordResetAt?.toISOString()).toBe(reset.at);
    const service = uid('svc');
    await fleet.addAccount({ id: service, owner: 'team-platform', password: false });
    expect(await p.identity.forceCredentialReset(call(), service, 'takeover')).toMatchObject({ reset: false });

    expect(await fleet.actions({ capability: Capability.Identity, target: id })).toHaveLength(6);
    expect((await failure(p.identity.disable(call(), stranger, 'takeover'))).type).toBe(ProviderErrorType.NotFound);
    await fleet.setFault(Capability.Identity, { action: 'disable', target: id, offline: true });
    expect((await failure(p.identity.disable(call(), id, 'takeover'))).type).toBe(ProviderErrorType.AgentOffline);
    await expect(p.identity.revokeSessions(call(), id, 'takeover')).resolves.toMatchObject({ accountId: id });
  });

  it('reverts drift, accepts a new baseline and quarantines resources', async () => {
    const id = uid('s3-logs');
    await fleet.addResource({ id, kind: 'aws_s3_bucket', baseline: { public: false } });
    await fleet.setCurrentConfig(id, { public: true });
    expect((await p.configBaseline.readCurrent(call(), id)).settings).toEqual({ public: true });
    expect((await p.configBaseline.revert(call(), id)).settings).toEqual({ public: false });

    await fleet.setCurrentConfig(id, { public: false, logging: true });
    await p.configBaseline.acceptCurrent(call(), id, 'bob');
    expect((await p.configBaseline.readBaseline(call(), id)).settings).toEqual({ public: false, logging: true });
    await p.configBaseline.quarantine(call(), id, 'drill');
    expect((await fleet.resource(id))?.quarantined).toBe(true);
    await p.configBaseline.release(call(), id, 'drill');
    expect((await fleet.resource(id))?.quarantined).toBe(false);
  });

  it('degrades an SLI where a bad patch is applied, and recovers on rollback', async () => {
    const [sli, bad, a, b, off] = [uid('sli'), uid('KB-BAD'), uid('web'), uid('web'), uid('web')];
    await fleet.setSli(sli, 0.01);
    await fleet.addPatch({ id: bad, breaksSli: sli, degradedValue: 0.2 });
    for (const id of [a, b]) await fleet.addHost({ id });
    await fleet.addHost({ id: off, online: false });

    const applied = await p.patching.apply(call(), bad, [a, off]);
    expect(applied).toMatchObject({ patched: [a], failed: [{ hostId: off, error: 'agent offline' }] });
    expect(await fleet.host(a)).toMatchObject({ patches: [bad] });
    expect(await p.metrics.query(call(), { sli, hostIds: [a] })).toMatchObject({ value: 0.2, samples: 1 });
    expect(await p.metrics.query(call(), { sli, hostIds: [b, off] })).toMatchObject({ value: 0.01, samples: 2 });

    expect(await p.patching.rollback(call(), bad, [a])).toMatchObject({ patched: [a], failed: [] });
    expect(await p.metrics.query(call(), { sli, hostIds: [a] })).toMatchObject({ value: 0.01 });
    expect(await p.metrics.query(call(), { sli: uid('unset'), hostIds: [a] })).toMatchObject({ value: 0 });
  });

  it('keeps one outbox row per notification key', async () => {
    const to = uid('secops');
    const c = call();
    const first = await p.notify.send(c, { to, kind: 'page', subject: 'Host isolated', body: 'web-1' });
    expect(await p.notify.send(c, { to, kind: 'page', subject: 'Host isolated', body: 'web-1' })).toEqual(first);
    expect(await fleet.notifications({ recipient: to })).toMatchObject([{ id: c.idempotencyKey, kind: 'page', subject: 'Host isolated' }]);
  });

  it('seeds runbooks/fleet.yaml without ever overwriting state', async () => {
    const file = path.join(root, 'runbooks/fleet.yaml');
    const first = await fleet.seed(file);
    expect(first).toMatchObject({ hosts: 8, credentials: 3, accounts: 3, resources: 2, patches: 2, slis: 2 });
    await p.hostIsolation.isolate(call(), 'web-1', 'drill');
    await fleet.setSli('error_rate', 0.5);
    await p.identity.disable(call(), 'alice', 'drill');
    expect(await fleet.seed(file)).toEqual({ hosts: 0, credentials: 0, usage: 0, accounts: 0, resources: 0, patches: 0, slis: 0 });
    expect(await p.identity.lookupAccount(call(), 'alice')).toMatchObject({ status: 'disabled', owner: 'bob', privileged: true });
    expect((await fleet.host('web-1'))?.isolated).toBe(true);
    expect(await p.inventory.lookupHost(call(), 'alice-mbp')).toMatchObject({ hostId: 'laptop-alice', owner: 'alice' });
    expect(await p.metrics.query(call(), { sli: 'latency_p99_ms', hostIds: ['web-1'] })).toMatchObject({ value: 180, samples: 1 });
  });
});
