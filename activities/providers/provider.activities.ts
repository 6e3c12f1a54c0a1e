import { classifyDrift, diffConfig, type DriftReport } from '../../lib/drift';
import type { ConfigSnapshot, ProviderCall } from '../../lib/providers/capabilities';
import { currentActivity } from './activity-context';
import type { RunTimelineEvent, TimelineWriter } from '../timeline/timeline-writer';
import type { ConfigBaselineProvider } from './config-baseline/config-baseline.provider';
import type { CredentialsProvider } from './credentials/credentials.provider';
import type { EvidenceProvider } from './evidence/evidence.provider';
import type { IdentityProvider } from './identity/identity.provider';
import type { HostIsolationProvider } from './host-isolation/host-isolation.provider';
import type { InventoryProvider } from './inventory/inventory.provider';
import type { MetricsProvider } from './metrics/metrics.provider';
import type { NotifyProvider } from './notify/notify.provider';
import type { PagingProvider } from './paging/paging.provider';
import type { PatchingProvider } from './patching/patching.provider';
import type { SecretScanningProvider } from './secret-scanning/secret-scanning.provider';
import type { TicketingProvider } from './ticketing/ticketing.provider';

/** One implementation per capability, as `runbooks/providers.yaml` chose them. */
export interface Providers {
  inventory: InventoryProvider;
  hostIsolation: HostIsolationProvider;
  evidence: EvidenceProvider;
  credentials: CredentialsProvider;
  identity: IdentityProvider;
  configBaseline: ConfigBaselineProvider;
  patching: PatchingProvider;
  metrics: MetricsProvider;
  notify: NotifyProvider;
  secretScanning: SecretScanningProvider;
  /** Used by the API's paging outbox sender, not by playbooks (they page through notify). */
  paging: PagingProvider;
  ticketing: TicketingProvider;
}

type Args<F> = F extends (call: ProviderCall, ...rest: infer R) => unknown ? R : never;

/**
 * The activities playbooks call, one per provider operation. Each takes the step's
 * idempotency key first; errors are ApplicationFailures typed with ProviderErrorType.
 */
export function createProviderActivities(p: Providers, writeTimeline: TimelineWriter) {
  return asStepActivities(writeTimeline, {
    lookupHost: (call: ProviderCall, ...a: Args<InventoryProvider['lookupHost']>) => p.inventory.lookupHost(call, ...a),
    listHosts: (call: ProviderCall, ...a: Args<InventoryProvider['listHosts']>) => p.inventory.listHosts(call, ...a),
    isolateHost: (call: ProviderCall, ...a: Args<HostIsolationProvider['isolate']>) => p.hostIsolation.isolate(call, ...a),
    verifyIsolation: (call: ProviderCall, ...a: Args<HostIsolationProvider['verify']>) => p.hostIsolation.verify(call, ...a),
    releaseHost: (call: ProviderCall, ...a: Args<HostIsolationProvider['release']>) => p.hostIsolation.release(call, ...a),
    replaceHost: (call: ProviderCall, ...a: Args<HostIsolationProvider['replace']>) => p.hostIsolation.replace(call, ...a),
    snapshotDisks: (call: ProviderCall, ...a: Args<EvidenceProvider['snapshotDisks']>) => p.evidence.snapshotDisks(call, ...a),
    collectVolatile: (call: ProviderCall, ...a: Args<EvidenceProvider['collectVolatile']>) => p.evidence.collectVolatile(call, ...a),
    lookupCredential: (call: ProviderCall, ...a: Args<CredentialsProvider['lookup']>) => p.credentials.lookup(call, ...a),
    revokeCredential: (call: ProviderCall, ...a: Args<CredentialsProvider['revoke']>) => p.credentials.revoke(call, ...a),
    rotateCredential: (call: ProviderCall, ...a: Args<CredentialsProvider['rotate']>) => p.credentials.rotate(call, ...a),
    findCredentialUsage: (call: ProviderCall, ...a: Args<CredentialsProvider['findUsage']>) => p.credentials.findUsage(call, ...a),
    lookupAccount: (call: ProviderCall, ...a: Args<IdentityProvider['lookupAccount']>) => p.identity.lookupAccount(call, ...a),
    revokeSessions: (call: ProviderCall, ...a: Args<IdentityProvider['revokeSessions']>) => p.identity.revokeSessions(call, ...a),
    deactivateAccessKeys: (call: ProviderCall, ...a: Args<IdentityProvider['deactivateKeys']>) => p.identity.deactivateKeys(call, ...a),
    disableAccount: (call: ProviderCall, ...a: Args<IdentityProvider['disable']>) => p.identity.disable(call, ...a),
    enableAccount: (call: ProviderCall, ...a: Args<IdentityProvider['enable']>) => p.identity.enable(call, ...a),
    forceCredentialReset: (call: ProviderCall, ...a: Args<IdentityProvider['forceCredentialReset']>) => p.identity.forceCredentialReset(call, ...a),
    readBaseline: (call: ProviderCall, ...a: Args<ConfigBaselineProvider['readBaseline']>) => p.configBaseline.readBaseline(call, ...a),
    readCurrentConfig: (call: ProviderCall, ...a: Args<ConfigBaselineProvider['readCurrent']>) => p.configBaseline.readCurrent(call, ...a),
    /**
     * Baseline against current, classified and with secret-looking values removed, computed
     * here so raw settings (which may hold secrets) never reach workflow history.
     */
    compareWithBaseline: async (call: ProviderCall, resourceId: string): Promise<DriftReport> => {
      const [baseline, current] = await Promise.all([p.configBaseline.readBaseline(call, resourceId), p.configBaseline.readCurrent(call, resourceId)]);
      return classifyDrift(diffConfig(baseline.settings, current.settings));
    },
    // Changes to a resource answer only which and when: its settings may hold secrets.
    revertConfig: (call: ProviderCall, ...a: Args<ConfigBaselineProvider['revert']>) => p.configBaseline.revert(call, ...a).then(changed),
    quarantineResource: (call: ProviderCall, ...a: Args<ConfigBaselineProvider['quarantine']>) => p.configBaseline.quarantine(call, ...a).then(changed),
    releaseResource: (call: ProviderCall, ...a: Args<ConfigBaselineProvider['release']>) => p.configBaseline.release(call, ...a).then(changed),
    acceptConfig: (call: ProviderCall, ...a: Args<ConfigBaselineProvider['acceptCurrent']>) => p.configBaseline.acceptCurrent(call, ...a).then(changed),
    applyPatch: (call: ProviderCall, ...a: Args<PatchingProvider['apply']>) => p.patching.apply(call, ...a),
    rollbackPatch: (call: ProviderCall, ...a: Args<PatchingProvider['rollback']>) => p.patching.rollback(call, ...a),
    querySli: (call: ProviderCall, ...a: Args<MetricsProvider['query']>) => p.metrics.query(call, ...a),
    notify: (call: ProviderCall, ...a: Args<NotifyProvider['send']>) => p.notify.send(call, ...a),
    /** Only type, fingerprint and last four reach the workflow: the value stays in the vendor's code. */
    describeLeakedSecret: (call: ProviderCall, ...a: Args<SecretScanningProvider['describeSecret']>) => p.secretScanning.describeSecret(call, ...a),
    closeSecretScanningAlert: (call: ProviderCall, ...a: Args<SecretScanningProvider['closeAlert']>) => p.secretScanning.closeAlert(call, ...a),
  });
}

/** How often a provider activity tells Temporal its worker is alive (see HEARTBEAT_TIMEOUT in workflows/shared/activities.ts). */
export const HEARTBEAT_EVERY_MS = 5_000;

/**
 * What a step's call carries besides the provider's own arguments: the run's timeline events
 * written before the call (the step's `step.started`, and what the run held back since its last
 * write: workflows/shared/timeline.ts). The vendor never sees them.
 */
export type CarriedCall = ProviderCall & { timeline?: RunTimelineEvent[] };

/**
 * Each provider operation as a step's activity: first the timeline events the call carries
 * (so a step costs one activity, not one for its start, one for the call and one for its
 * success), then the call, heartbeating while it is under way. A vendor call can take minutes
 * (a disk snapshot, an instance replacement, an SSM command); if the worker dies meanwhile, the
 * missing heartbeats end the attempt within the heartbeat timeout and the step retries on
 * another worker, with the same idempotency key, instead of waiting out the step's whole
 * timeout. A retry carries the same events again, which land once.
 */
function asStepActivities<T extends Record<string, (call: ProviderCall, ...args: never[]) => Promise<unknown>>>(writeTimeline: TimelineWriter, activities: T): T {
  const wrapped = Object.entries(activities).map(([name, fn]) => [
    name,
    async ({ timeline, ...call }: CarriedCall, ...args: never[]) => {
      const context = currentActivity();
      const timer = context ? setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS) : undefined;
      try {
        if (timeline && timeline.length > 0) await writeTimeline(timeline);
        return await fn(call, ...args);
      } finally {
        clearInterval(timer);
      }
    },
  ]);
  return Object.fromEntries(wrapped) as T;
}

export type ProviderActivities = ReturnType<typeof createProviderActivities>;

/** What a configuration change reports to the workflow: never the settings themselves. */
export interface ConfigChange {
  resourceId: string;
  at: string;
}

const changed = ({ resourceId, at }: ConfigSnapshot): ConfigChange => ({ resourceId, at });
