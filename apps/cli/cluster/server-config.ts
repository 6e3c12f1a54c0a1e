import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { PalisadeError } from '../../../lib/errors';

/** Temporal's cluster_membership.rpc_port is a smallint. */
export const MAX_MEMBERSHIP_PORT = 32_767;

/** The four services of Temporal's server, each its own process. */
export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export interface ServerPorts {
  grpc: Record<TemporalService, number>;
  membership: Record<TemporalService, number>;
  /** Each service's Prometheus endpoint. */
  metrics: Record<TemporalService, number>;
  frontendHttp: number;
}

/** Frontend on the usual 7233 (PALISADE_TEMPORAL_PORT), the others beside it as Temporal's own samples lay them out. */
export function serverPorts(frontend: number): ServerPorts {
  // Temporal keeps each service's membership port in a smallint column (cluster_membership.rpc_port).
  if (frontend - 294 > MAX_MEMBERSHIP_PORT || frontend - 300 < 1) {
    throw new PalisadeError(
      'temporal_port_out_of_range',
      `PALISADE_TEMPORAL_PORT ${frontend} puts the services' membership ports at ${frontend - 300}–${frontend - 294}, outside 1–${MAX_MEMBERSHIP_PORT}: Temporal stores them as a smallint and its services would not start.`,
      `Choose a frontend port between 301 and ${MAX_MEMBERSHIP_PORT + 294} (the default is 7233).`,
    );
  }
  const offset = (n: number) => frontend + n;
  return {
    grpc: { frontend, history: offset(1), matching: offset(2), worker: offset(6) },
    membership: { frontend: offset(-300), history: offset(-299), matching: offset(-298), worker: offset(-294) },
    metrics: { frontend: offset(767), history: offset(768), matching: offset(769), worker: offset(770) },
    frontendHttp: offset(10),
  };
}

/**
 * Writes the server's configuration for the cluster: `cluster.yaml` (persistence and
 * visibility on PostgreSQL, the services' ports) and one `cluster_<service>.yaml` per
 * service (selected with `--zone`), which gives each process its own metrics port. Modelled
 * on the release's config/development-postgres12.yaml.
 */
export function writeServerConfig(dir: string, opts: { postgresPort: number; ports: ServerPorts; dynamicConfigFile: string }): string {
  const configDir = path.join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${opts.postgresPort}`,
      connectProtocol: 'tcp',
      user: 'postgres',
      password: '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const base = {
    log: { stdout: true, level: 'info' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: { 'postgres-default': store('temporal', 20), 'postgres-visibility': store('temporal_visibility', 5) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: Object.fromEntries(
      TEMPORAL_SERVICES.map((s) => [
        s,
        { rpc: { grpcPort: opts.ports.grpc[s], membershipPort: opts.ports.membership[s], bindOnLocalHost: true, ...(s === 'frontend' ? { httpPort: opts.ports.frontendHttp } : {}) } },
      ]),
    ),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${opts.ports.grpc.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: opts.dynamicConfigFile, pollInterval: '10s' },
  };
  writeFileSync(path.join(configDir, 'cluster.yaml'), stringify(base));
  for (const s of TEMPORAL_SERVICES) {
    const zone = { global: { membership: base.global.membership, metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${opts.ports.metrics[s]}` } } } };
    writeFileSync(path.join(configDir, `cluster_${s}.yaml`), stringify(zone));
  }
  // Worker Deployments and the versioning APIs are on by default since 1.28; said here so a reader sees them.
  writeFileSync(opts.dynamicConfigFile, stringify({ 'system.enableDeploymentVersions': [{ value: true }], 'frontend.workerVersioningWorkflowAPIs': [{ value: true }] }));
  return configDir;
}
