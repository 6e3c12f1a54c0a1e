// `npm run drills`: the engine's promises checked under faults, at full size, against an
// engine of its own (bench/support/cluster.ts: Temporal dev server, PGlite, worker, API, Slack
// pointed at a fake). Never part of `npm test`, which runs the short versions.
//
//   npm run drills [-- --only worker-killed,api-killed --scale 0.2]
//   npm run drills -- --cluster [--scale 0.2]
//
// --cluster runs the cluster drill (bench/drills/cluster-faults.ts) instead, against what
// `npm run cluster` runs: Temporal's real server, PostgreSQL, two APIs and two workers
// (bench/support/real-cluster.ts).
//
// Each drill says what it did and what it found; a summary table follows, JSON goes to
// bench/results/drills-<timestamp>.json, and the exit code is 1 when any promise was broken.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startDrillCluster } from './support/cluster';
import { startRealCluster } from './support/real-cluster';
import { clusterFaults } from './drills/cluster-faults';
import { deployDrill } from './drills/deploy';
import { apiKilled } from './drills/api-killed';
import { badInput } from './drills/bad-input';
import type { Drill, DrillProcess, DrillReport } from './drills/drill';
import { forgery } from './drills/forgery';
import { openapiContract } from './drills/openapi-contract';
import { postgresDown } from './drills/postgres-down';
import { secretHygiene } from './drills/secret-hygiene';
import { temporalDown } from './drills/temporal-down';
import { workerKilled } from './drills/worker-killed';

/** In the order they run: the input drills first, then the process faults, then the API contract (its generated incidents and fleet changes stay). */
const DRILLS: Record<string, Drill> = {
  'bad-input': badInput,
  forgery,
  'secret-hygiene': secretHygiene,
  'worker-killed': workerKilled,
  'api-killed': apiKilled,
  'temporal-down': temporalDown,
  'postgres-down': postgresDown,
  deploy: deployDrill,
  'openapi-contract': openapiContract,
};

/**
 * Drills that get an engine of their own, started for them. The API contract: schemathesis, holding
 * an admin token, sends what the document allows, `allowNoPollers: true` among it, so after the
 * deploy drill it rolled the deployment back to that drill's stopped version and started incidents
 * nobody could run (2026-12-07: two 503s, the product doing what the override says). The document's
 * contract is not the deploy drill's leftovers.
 */
const OWN_ENGINE = new Set(['openapi-contract']);

interface Outcome extends DrillReport {
  seconds: number;
  /** Set when the drill itself failed (threw) rather than found a loss. */
  error?: string;
}

function options(): { only: string[]; scale: number; cluster: boolean } {
  const { values } = parseArgs({ options: { only: { type: 'string' }, scale: { type: 'string', default: '1' }, cluster: { type: 'boolean', default: false } } });
  if (values.cluster && values.only) throw new Error('--cluster runs the cluster drill only; leave out --only.');
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(DRILLS);
  const unknown = only.filter((name) => !(name in DRILLS));
  if (unknown.length > 0) throw new Error(`Unknown drill(s): ${unknown.join(', ')}. Known: ${Object.keys(DRILLS).join(', ')}.`);
  const scale = Number(values.scale);
  if (!(scale > 0)) throw new Error(`--scale must be a number above 0, not ${values.scale}`);
  return { only, scale, cluster: values.cluster ?? false };
}

async function main(): Promise<number> {
  const { only: chosen, scale, cluster: onCluster } = options();
  const say = (line: string) => console.log(line);
  const drills: Record<string, Drill> = onCluster ? { 'cluster-faults': (_engine, o) => clusterFaults(realCluster!, o) } : DRILLS;
  const only = onCluster ? ['cluster-faults'] : chosen;
  say(`Drills: ${only.join(', ')} at scale ${scale}${onCluster ? ' on the real cluster' : ''}.`);
  const realCluster = onCluster ? await startRealCluster({ say }) : undefined;
  let cluster = realCluster ?? (await startDrillCluster({ say }));
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    say('Interrupted: stopping the engine...');
    void cluster.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const outcomes: Outcome[] = [];
  /** Crashes seen by an engine stopped for a drill with an engine of its own. */
  const earlierCrashes: string[] = [];
  try {
    for (const name of only) {
      say(`\n== ${name} ==`);
      if (!realCluster && OWN_ENGINE.has(name) && outcomes.length > 0) {
        const used = cluster;
        const failedSoFar = outcomes.some((o) => o.losses.length > 0);
        say(`  (an engine of its own: stopping this one${failedSoFar ? `, its data kept in ${used.dataDir}` : ''}, starting another)`);
        await used.stop({ keepData: failedSoFar });
        earlierCrashes.push(...used.crashes);
        cluster = await startDrillCluster({ say });
      }
      const t0 = Date.now();
      let outcome: Outcome;
      try {
        outcome = { ...(await drills[name](cluster, { scale, say })), seconds: 0 };
      } catch (err) {
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        outcome = { drill: name, did: [], found: [], losses: [`the drill failed: ${message}`], seconds: 0, error: message };
      }
      outcome.seconds = Math.round((Date.now() - t0) / 100) / 10;
      outcomes.push(outcome);
      print(outcome, say);
      await keepEngineUp(realCluster?.parts ?? cluster.processes, say);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const failed = outcomes.some((o) => o.losses.length > 0);
    if (!stopping) await cluster.stop({ keepData: failed });
    if (failed) say(`\nThe engine's data and logs are kept in ${cluster.dataDir}.`);
  }

  say('\nSummary:');
  console.table(outcomes.map((o) => ({ drill: o.drill, result: o.losses.length === 0 ? 'passed' : 'LOSSES', losses: o.losses.length, seconds: o.seconds })));
  const out = path.join(__dirname, 'results', `drills-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), scale, crashes: [...earlierCrashes, ...cluster.crashes], drills: outcomes }, null, 2));
  say(`Written to ${path.relative(process.cwd(), out)}`);
  return outcomes.some((o) => o.losses.length > 0) ? 1 : 0;
}

function print(o: Outcome, say: (line: string) => void): void {
  for (const line of o.did) say(`  did:   ${line}`);
  for (const line of o.found) say(`  found: ${line}`);
  for (const line of o.losses) say(`  LOSS:  ${line}`);
  say(`  ${o.losses.length === 0 ? 'passed' : `${o.losses.length} loss(es)`} in ${o.seconds} s`);
}

/** A drill that failed half-way may leave a process stopped: the next drill gets a whole engine. */
async function keepEngineUp(processes: Partial<Record<string, DrillProcess>>, say: (line: string) => void): Promise<void> {
  for (const p of Object.values(processes)) {
    if (p && !p.running) {
      say(`  (the ${p.name} process was not running after the drill: starting it for the next one)`);
      await p.start();
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
